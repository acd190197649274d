"""Clinic examination protocols (JSON export) -> Encounter (AMB) + Composition + Conditions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mappers import MappingError, map_exam_protocol
from mappers.exam_protocol import map_exam_protocol_file
from tests.mappers.helpers import SAMPLES, assert_valid_transaction, check_golden, resources

FOLDER = SAMPLES / "exam_protocol"


def sample(name: str = "hypertension_visit.json") -> dict[str, Any]:
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


def test_full_protocol_matches_the_golden_bundle() -> None:
    bundle = map_exam_protocol(sample())
    assert_valid_transaction(bundle)
    check_golden("exam_protocol__hypertension_visit", bundle)


def test_full_protocol_content() -> None:
    bundle = map_exam_protocol(sample())
    [encounter] = resources(bundle, "Encounter")
    [composition] = resources(bundle, "Composition")
    conditions = resources(bundle, "Condition")
    assert encounter["class"]["code"] == "AMB" and encounter["status"] == "finished"
    assert encounter["period"] == {"start": "2024-03-12T10:15:00+03:00", "end": "2024-03-12T10:35:00+03:00"}
    assert [c["code"]["coding"][0]["code"] for c in conditions] == ["I11.9", "E11.9", "I49.3"]  # main first
    assert {c["code"]["coding"][0]["system"] for c in conditions} == {"http://hl7.org/fhir/sid/icd-10"}
    assert conditions[2]["verificationStatus"]["coding"][0]["code"] == "provisional"
    assert [d["rank"] for d in encounter["diagnosis"]] == [1, 2, 3]
    assert [s["code"]["coding"][0]["code"] for s in composition["section"]] == \
        ["10154-3", "10164-2", "29545-1", "29548-5", "18776-5"]
    assert composition["date"] == "2024-03-12T10:41:07+03:00"
    complaints = composition["section"][0]["text"]["div"]
    assert complaints == ('<div xmlns="http://www.w3.org/1999/xhtml"><p>Головная боль в затылочной области по утрам, '
                          'шум в ушах.</p><p>Повышение АД до 165/100 мм рт. ст.</p></div>')
    diagnosis_section = composition["section"][3]
    assert len(diagnosis_section["entry"]) == 3
    [patient] = resources(bundle, "Patient")
    assert patient["name"][0] == {"use": "official", "text": "Смирнов Алексей Викторович", "family": "Смирнов",
                                  "given": ["Алексей", "Викторович"]}
    assert [i["value"] for i in patient["identifier"]] == ["7754310890001234", "11223344595"]


def test_optional_parts_left_out() -> None:
    bundle = map_exam_protocol((FOLDER / "minimal_visit.json").read_bytes())
    assert_valid_transaction(bundle)
    [encounter] = resources(bundle, "Encounter")
    [composition] = resources(bundle, "Composition")
    assert encounter["period"] == {"start": "2024-03-12T11:00:00+03:00"}  # no end, Moscow time assumed
    assert composition["date"] == "2024-03-12T11:00:00+03:00"
    assert [s["title"] for s in composition["section"]] == ["Диагноз"]
    check_golden("exam_protocol__minimal_visit", bundle)


def test_mapping_twice_gives_identical_bundles() -> None:
    first = json.dumps(map_exam_protocol(sample()), ensure_ascii=False)
    assert json.dumps(map_exam_protocol(sample()), ensure_ascii=False) == first


def test_the_input_is_not_modified() -> None:
    record = sample()
    before = copy.deepcopy(record)
    map_exam_protocol(record)
    assert record == before


def _broken(change: Any) -> str:
    record = sample()
    change(record)
    with pytest.raises(MappingError) as info:
        map_exam_protocol(record)
    return str(info.value)


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r["diagnoses"][1].update(icd10="I1I.9"), "$.diagnoses[1].icd10: 'I1I.9' does not match"),
    (lambda r: r["diagnoses"][1].update(kind="secondary"), "$.diagnoses: the value does not contain items"),
    (lambda r: r["diagnoses"][0].update(icd10="I11.9"), "$.diagnoses[1].icd10: I11.9 is listed twice"),
    (lambda r: r["doctor"].update(snils="156-432-981 82"), "$.doctor.snils: SNILS '156-432-981 82' has a wrong"),
    (lambda r: r["patient"].pop("mhi"), "$.patient: 'mhi' is a required property"),
    (lambda r: r["patient"].update(mhi="77543108900"), "$.patient.mhi: '77543108900' does not match"),
    (lambda r: r["visit"].update(start="2024-02-30T10:00"), "$.visit.start: '2024-02-30T10:00' is not a valid date"),
    (lambda r: r.update(format="emc.exam-protocol/2.0"), "$.format: 'emc.exam-protocol/1.0' was expected"),
    (lambda r: r.update(complaints="   "), "$.complaints: '   ' does not match"),
    (lambda r: r.update(extra=1), "$: Additional properties are not allowed ('extra' was unexpected)"),
])
def test_malformed_protocols_name_the_place(change: Any, message: str) -> None:
    assert _broken(change).startswith(message)


def test_json_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{\n  "format": "emc.exam-protocol/1.0",\n  "protocolId": \n}\n', encoding="utf-8")
    with pytest.raises(MappingError) as info:
        map_exam_protocol_file(path)
    assert str(info.value) == "export.json: invalid JSON: Expecting value (column 1) (line 4)"


def test_ndjson_export_error_names_the_line(tmp_path: Path) -> None:
    good = json.dumps(sample(), ensure_ascii=False)
    bad = sample()
    bad["visit"]["id"] = "V|1"
    path = tmp_path / "export.ndjson"
    path.write_text(f"{good}\n\n{json.dumps(bad, ensure_ascii=False)}\n", encoding="utf-8")
    with pytest.raises(MappingError) as info:
        map_exam_protocol_file(path)
    assert str(info.value).startswith("export.ndjson: $.visit.id: 'V|1' does not match")
    assert str(info.value).endswith("(line 3)")
    assert info.value.line == 3


def test_json_array_export_gives_one_bundle_per_record_and_names_a_bad_one(tmp_path: Path) -> None:
    second = sample("minimal_visit.json")
    path = tmp_path / "export.json"
    path.write_text(json.dumps([sample(), second], ensure_ascii=False), encoding="utf-8")
    assert len(map_exam_protocol_file(path)) == 2
    second["patient"]["gender"] = "м"
    path.write_text(json.dumps([sample(), second], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(MappingError, match=r"^export.json: record \[1\]: \$.patient.gender: 'м' is not one of"):
        map_exam_protocol_file(path)
