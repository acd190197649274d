"""Instrumental studies (ECG, endoscopy; JSON export) -> DiagnosticReport + Observations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mappers import MappingError, map_instrumental_study
from mappers.instrumental import map_instrumental_file
from tests.mappers.helpers import SAMPLES, assert_valid_transaction, check_golden, resources

FOLDER = SAMPLES / "instrumental"


def sample(name: str = "ecg_resting.json") -> dict[str, Any]:
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


def test_ecg_with_every_measurement_matches_golden() -> None:
    bundle = map_instrumental_study(sample())
    assert_valid_transaction(bundle)
    check_golden("instrumental__ecg_resting", bundle)


def test_ecg_measurements_have_loinc_codes_and_ucum_units() -> None:
    bundle = map_instrumental_study(sample())
    [report] = resources(bundle, "DiagnosticReport")
    assert report["code"]["coding"][0]["code"] == "11524-6" and report["code"]["text"] == "ЭКГ покоя в 12 отведениях"
    assert report["category"][0]["coding"][0]["code"] == "EC"
    values = {o["code"]["coding"][0]["code"]: o.get("valueQuantity", o.get("valueString"))
              for o in resources(bundle, "Observation")}
    assert values["8867-4"] == {"value": 78, "unit": "уд/мин", "system": "http://unitsofmeasure.org", "code": "/min"}
    assert values["8625-6"]["value"] == 168 and values["8625-6"]["code"] == "ms"
    assert values["8633-0"]["value"] == 96
    assert values["8634-8"]["value"] == 384
    assert values["8636-3"]["value"] == 438
    assert values["8632-2"] == {"value": -12, "unit": "°", "system": "http://unitsofmeasure.org", "code": "deg"}
    assert values["8884-9"] == "Синусовый ритм, правильный"
    assert values["59776-5"].startswith("Одиночная желудочковая экстрасистола")
    assert len(report["result"]) == 8


def test_endoscopy_findings_and_conclusion() -> None:
    bundle = map_instrumental_study((FOLDER / "endoscopy_egd.json").read_text(encoding="utf-8"))
    assert_valid_transaction(bundle)
    [report] = resources(bundle, "DiagnosticReport")
    [findings] = resources(bundle, "Observation")
    assert report["code"]["coding"][0]["code"] == "18751-8"
    assert report["category"][0]["coding"][0] == {"system": "http://snomed.info/sct", "code": "423827005",
                                                  "display": "Endoscopy"}
    assert report["conclusion"] == "Эрозивная антральная гастропатия. Биопсия на H. pylori."
    assert findings["code"]["coding"][0]["code"] == "59776-5" and "\n" in findings["valueString"]


def test_ndjson_batch_with_a_minimal_ecg() -> None:
    first, second = map_instrumental_file(FOLDER / "ecg_batch.ndjson")
    for bundle in (first, second):
        assert_valid_transaction(bundle)
    [report] = resources(first, "DiagnosticReport")
    assert report["code"]["text"] == "ЭКГ" and "issued" not in report
    assert report["effectiveDateTime"] == "2024-03-13T14:10:00+03:00"
    assert len(resources(first, "Observation")) == 1
    assert resources(second, "Observation")[-1]["valueQuantity"]["value"] == 75.5  # axis, a decimal


def test_mapping_twice_gives_identical_bundles() -> None:
    assert map_instrumental_file(FOLDER / "ecg_batch.ndjson") == map_instrumental_file(FOLDER / "ecg_batch.ndjson")


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r.pop("ecg"), "$: 'ecg' is a required property"),
    (lambda r: r["ecg"].update(heartRate="78"), "$.ecg.heartRate: '78' is not of type 'number'"),
    (lambda r: r["ecg"].update(heartRate=0), "$.ecg.heartRate: 0 is less than or equal to the minimum of 0"),
    (lambda r: r["ecg"].update(qtcInterval=5000), "$.ecg.qtcInterval: 5000 is greater than the maximum of 1000"),
    (lambda r: r["ecg"].update(stSegment=1), "$.ecg: Additional properties are not allowed ('stSegment' was"),
    (lambda r: r.update(ecg={}), "$.ecg: {} should be non-empty"),
    (lambda r: r.update(kind="endoscopy", findings="x"), "$.ecg: is not allowed here"),
    (lambda r: r.update(kind="holter"), "$.kind: 'holter' is not one of ['ecg', 'endoscopy']"),
    (lambda r: r.update(performed="12.03.2024 09:40"), "$.performed: '12.03.2024 09:40' does not match"),
    (lambda r: r["clinic"].update(code="01/12"), "$.clinic.code: '01/12' does not match"),
    (lambda r: r.pop("conclusion"), "$: 'conclusion' is a required property"),
    (lambda r: r["patient"].update(snils="11223344596"), "$.patient.snils: SNILS '11223344596' has a wrong check"),
])
def test_malformed_studies_name_the_place(change: Any, message: str) -> None:
    record = sample()
    change(record)
    with pytest.raises(MappingError) as info:
        map_instrumental_study(record)
    assert str(info.value).startswith(message)


def test_endoscopy_without_findings_is_refused() -> None:
    record = sample("endoscopy_egd.json")
    del record["findings"]
    with pytest.raises(MappingError, match=r"^\$: 'findings' is a required property$"):
        map_instrumental_study(record)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ecg.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(MappingError, match=r"^ecg.json: not UTF-8 text \(byte 0\)$"):
        map_instrumental_file(path)
