"""``python -m fhir_server import``: files through a mapper into the real server, file by file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_server import cli
from fhir_server.config import Settings
from fhir_server.ingest.importer import import_file, import_paths, merge_transactions
from fhir_server.ingest.loader import LoadError
from fhir_server.rest import Context, FhirRequest
from fhir_server.routes import make_context
from fhir_server.storage.mongo import Store, ensure_indexes
from mappers import MappingError
from tests.mappers.dicom_factory import Study

SAMPLES = Path(__file__).parents[1] / "mappers" / "samples"
PROTOCOL = SAMPLES / "exam_protocol" / "hypertension_visit.json"


@pytest.fixture()
def ctx(store: Store) -> Context:
    ensure_indexes(store)
    return make_context(Settings(base_url="http://testserver/fhir"), store)


def _count(ctx: Context, rtype: str, *params: tuple[str, str]) -> int:
    response = ctx.dispatch(FhirRequest("GET", [rtype], params=[*params, ("_summary", "count")]))
    assert response.resource is not None
    return int(response.resource["total"])


def _protocol(visit: str, **changes: Any) -> dict[str, Any]:
    record = json.loads(PROTOCOL.read_text(encoding="utf-8"))
    record["visit"]["id"], record["protocolId"] = visit, f"P-{visit}"
    return record | changes


def test_merge_keeps_the_first_entry_of_each_full_url() -> None:
    a = {"entry": [{"fullUrl": "urn:uuid:1", "resource": {"n": 1}}, {"fullUrl": "urn:uuid:2", "resource": {}}]}
    b = {"entry": [{"fullUrl": "urn:uuid:1", "resource": {"n": 2}}, {"fullUrl": "urn:uuid:3", "resource": {}}]}
    merged = merge_transactions([a, b])
    assert merged["type"] == "transaction"
    assert [e["fullUrl"] for e in merged["entry"]] == ["urn:uuid:1", "urn:uuid:2", "urn:uuid:3"]
    assert merged["entry"][0]["resource"] == {"n": 1}


def test_a_folder_of_several_formats_imports_and_reimport_changes_nothing(ctx: Context) -> None:
    report = import_paths(ctx, "hl7v2-oru", [SAMPLES / "hl7v2_oru"], progress=False)
    assert report.refused == [] and len(report.imported) == 1
    assert _count(ctx, "DiagnosticReport") == 3 and _count(ctx, "Observation") > 10
    report = import_paths(ctx, "instrumental", [SAMPLES / "instrumental"], progress=False)
    assert report.refused == [] and len(report.imported) == 3
    counts = {t: _count(ctx, t) for t in ("Patient", "DiagnosticReport", "Observation", "Practitioner")}
    again = import_paths(ctx, "instrumental", [SAMPLES / "instrumental"], progress=False)
    assert again.refused == [] and again.resources == report.resources
    assert {t: _count(ctx, t) for t in counts} == counts


def test_a_bad_record_refuses_the_whole_file_and_names_the_place(ctx: Context, tmp_path: Path) -> None:
    bad = _protocol("V-2", diagnoses=[{"kind": "main", "icd10": "І11.9", "text": "кириллическая І"}])
    (tmp_path / "export.json").write_text(json.dumps([_protocol("V-1"), bad], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        import_file(ctx, "exam-protocol", tmp_path / "export.json")
    message = str(caught.value)
    assert message.startswith("export.json: record [1]") and "$.diagnoses[0].icd10" in message
    assert _count(ctx, "Encounter") == 0  # the good first record was not imported either


def test_ndjson_errors_carry_the_line(ctx: Context, tmp_path: Path) -> None:
    lines = [json.dumps(_protocol("V-1"), ensure_ascii=False), "{not json"]
    (tmp_path / "day.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_paths(ctx, "exam-protocol", [tmp_path], progress=False)
    assert report.imported == [] and len(report.refused) == 1
    assert report.refused[0][1].startswith("day.ndjson") and "(line 2)" in report.refused[0][1]
    assert _count(ctx, "Encounter") == 0


def test_a_batch_reports_imported_and_refused_files(ctx: Context, tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps(_protocol("V-7"), ensure_ascii=False), encoding="utf-8")
    (tmp_path / "bad.json").write_text(json.dumps(_protocol("V-8", clinic={"code": "01/12", "name": "x"}),
                                                  ensure_ascii=False), encoding="utf-8")
    report = import_paths(ctx, "exam-protocol", [tmp_path], progress=False)
    assert [Path(p).name for p, _ in report.imported] == ["good.json"]
    assert [Path(p).name for p, _ in report.refused] == ["bad.json"]
    assert "$.clinic.code" in report.refused[0][1]
    assert _count(ctx, "Encounter") == 1


def test_server_refusal_rolls_back_the_file(ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A transaction the server refuses leaves nothing: every record of the file is one transaction."""
    from fhir_server.ingest import importer
    from mappers import map_exam_protocol

    def broken(path: Path) -> list[dict[str, Any]]:
        good = [map_exam_protocol(json.loads(path.read_text(encoding="utf-8")))]
        bad = json.loads(json.dumps(good[0]))
        bad["entry"][-1]["resource"]["subject"] = {"reference": "urn:uuid:nowhere"}
        bad["entry"][-1]["fullUrl"] = "urn:uuid:another"
        return [*good, bad]

    monkeypatch.setitem(importer.FORMATS, "exam-protocol", broken)
    with pytest.raises(LoadError):
        import_file(ctx, "exam-protocol", PROTOCOL)
    assert _count(ctx, "Encounter") == 0 and _count(ctx, "Patient") == 0


def test_dicom_folder_imports_as_one_unit(ctx: Context, tmp_path: Path) -> None:
    Study("imp").write(tmp_path / "study")
    (tmp_path / "study" / "conclusion.txt").write_text("Без патологии.", encoding="utf-8")
    report = import_paths(ctx, "dicom-study", [tmp_path / "study"], progress=False)
    assert report.refused == [] and len(report.imported) == 1
    assert _count(ctx, "ImagingStudy") == 1 and _count(ctx, "DiagnosticReport") == 1


def test_command_line_exit_status_and_report(mongo_uri: str, store: Store, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("FHIR_DB_NAME", store.db.name)
    assert cli.main(["import", "--format", "cda-discharge", str(SAMPLES / "cda_discharge")]) == 0
    assert "imported 2 files" in capsys.readouterr().out
    (tmp_path / "broken.xml").write_text("<ClinicalDocument", encoding="utf-8")
    assert cli.main(["import", "--format", "cda-discharge", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "refused 1" in captured.out and "broken.xml" in captured.err
    assert cli.main(["import", "--format", "no-such-format", str(tmp_path)]) == 2
    assert "unknown format 'no-such-format'" in capsys.readouterr().err


def test_exported_synthetic_sources_import_without_a_refusal(ctx: Context, tmp_path: Path) -> None:
    """The generator's source files, read back from disk by the mappers: every format, nothing refused."""
    from seed_data.export import export

    counts = export(5, 4, tmp_path)
    assert set(counts) >= {"exam-protocol", "hl7v2-oru", "dicom-study", "instrumental"}
    for fmt in counts:
        paths = sorted((tmp_path / fmt).iterdir()) if fmt == "dicom-study" else [tmp_path / fmt]
        report = import_paths(ctx, fmt, paths, progress=False)
        assert report.refused == [], report.refused
    assert _count(ctx, "Encounter") >= counts["exam-protocol"]
    assert _count(ctx, "ImagingStudy") == counts["dicom-study"]
    assert _count(ctx, "Patient") == 5
