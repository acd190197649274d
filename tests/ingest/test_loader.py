"""python -m fhir_server load: Bundles, single resources, NDJSON, folders; failures named."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from fhir_server import cli
from fhir_server.config import Settings
from fhir_server.ingest.loader import LoadError, load_paths
from fhir_server.routes import make_context
from tests.conftest import SYNTHEA_DEV


@pytest.fixture()
def ctx(store):
    return make_context(Settings(base_url="http://testserver/fhir"), store)


def _write(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def test_loads_every_kind_of_file_recursively(ctx, store, tmp_path):
    transaction = sorted(SYNTHEA_DEV.glob("*.json"))[0]
    entries = len(json.loads(transaction.read_text())["entry"])
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / transaction.name).write_bytes(transaction.read_bytes())
    collection = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "c1"}}, {"resource": {"resourceType": "Patient"}}]}
    _write(tmp_path, "collection.json", json.dumps(collection))
    _write(tmp_path, "single.json", json.dumps({"resourceType": "Practitioner", "id": "doc-1"}))
    _write(tmp_path, "many.ndjson", "\n".join(json.dumps({"resourceType": "Organization", "name": f"ГП №{n}"})
                                             for n in range(3)) + "\n")
    report = load_paths(ctx, [tmp_path], progress=False)
    assert report.files == 4
    assert report.resources == entries + 2 + 1 + 3
    assert store.resources.count_documents({}) == entries + 6
    assert store.resources.find_one({"_id": "Patient/c1"}) is not None


def test_failure_names_file_and_entry(ctx, store, tmp_path):
    bad = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient"}}, {"resource": {"resourceType": "Patient", "gender": "x"}}]}
    path = _write(tmp_path, "bad.json", json.dumps(bad))
    with pytest.raises(LoadError) as failure:
        load_paths(ctx, [path], progress=False)
    assert "bad.json" in str(failure.value) and "Bundle.entry[1]" in str(failure.value)
    assert "gender" in str(failure.value)


def test_failing_transaction_names_entry_and_stores_nothing(ctx, store, tmp_path):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
        {"resource": {"resourceType": "Observation", "status": "??", "code": {"text": "x"}},
         "request": {"method": "POST", "url": "Observation"}}]}
    path = _write(tmp_path, "tx.json", json.dumps(bundle))
    with pytest.raises(LoadError) as failure:
        load_paths(ctx, [path], progress=False)
    assert "tx.json" in str(failure.value) and "Bundle.entry[1]" in str(failure.value)
    assert store.resources.count_documents({}) == 0


def test_bad_ndjson_line_is_named(ctx, tmp_path):
    path = _write(tmp_path, "x.ndjson", '{"resourceType": "Patient"}\n{oops\n')
    with pytest.raises(LoadError, match=r"x.ndjson, line 2"):
        load_paths(ctx, [path], progress=False)


def test_cli_exit_codes(mongo_uri, mongo_client, tmp_path, monkeypatch, capsys):
    database = f"cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("FHIR_DB_NAME", database)
    good = _write(tmp_path, "ok.json", json.dumps({"resourceType": "Patient", "id": "ok"}))
    assert cli.main(["load", str(good)]) == 0
    assert "loaded 1 resources from 1 files" in capsys.readouterr().out
    bad = _write(tmp_path, "bad.json", "{not json")
    assert cli.main(["load", str(bad)]) == 1
    assert "bad.json" in capsys.readouterr().err
    assert cli.main(["load", str(tmp_path / "missing")]) == 1
    mongo_client.drop_database(database)


def test_ndjson_file_is_all_or_nothing(ctx, store, tmp_path):
    path = _write(tmp_path, "p.ndjson", '{"resourceType": "Patient", "id": "one"}\n'
                                        '{"resourceType": "Patient", "gender": "x"}\n'
                                        '{"resourceType": "Patient"}\n')
    with pytest.raises(LoadError) as failure:
        load_paths(ctx, [path], progress=False)
    assert "p.ndjson, line 2" in str(failure.value) and "gender" in str(failure.value)
    assert "Bundle.entry" not in str(failure.value)
    assert store.resources.count_documents({}) == 0
    assert failure.value.report is not None and failure.value.report.resources == 0


def test_ndjson_bad_json_on_a_later_line_stores_nothing(ctx, store, tmp_path):
    path = _write(tmp_path, "x.ndjson", '{"resourceType": "Patient"}\n{oops\n')
    with pytest.raises(LoadError, match=r"x.ndjson, line 2"):
        load_paths(ctx, [path], progress=False)
    assert store.resources.count_documents({}) == 0


def test_ndjson_lines_keep_their_ids(ctx, store, tmp_path):
    path = _write(tmp_path, "p.ndjson", '\n'.join(json.dumps({"resourceType": "Patient", "id": f"p{n}"})
                                                  for n in range(3)) + "\n\n{\"resourceType\": \"Patient\"}\n")
    report = load_paths(ctx, [path], progress=False)
    assert (report.files, report.resources, report.failures) == (1, 4, [])
    assert {d["_id"] for d in store.resources.find({"id": {"$in": ["p0", "p1", "p2"]}})} == {
        "Patient/p0", "Patient/p1", "Patient/p2"}
    assert store.resources.count_documents({}) == 4


def test_ndjson_over_the_transaction_size_names_what_was_stored(ctx, store, tmp_path, monkeypatch):
    monkeypatch.setattr("fhir_server.ingest.loader.TRANSACTION_LINES", 2)
    lines = [{"resourceType": "Patient"}] * 3 + [{"resourceType": "Patient", "gender": "x"}, {"resourceType": "Patient"}]
    path = _write(tmp_path, "big.ndjson", "\n".join(json.dumps(line) for line in lines))
    with pytest.raises(LoadError) as failure:
        load_paths(ctx, [path], progress=False)
    assert "big.ndjson, line 4" in str(failure.value)
    assert "lines 1-2 were stored" in str(failure.value)
    assert failure.value.stored == 2 and store.resources.count_documents({}) == 2
    path.write_text("\n".join(json.dumps(line) for line in lines if "gender" not in line), encoding="utf-8")
    assert load_paths(ctx, [path], progress=False).resources == 4


def test_keep_going_counts_each_ndjson_line(ctx, store, tmp_path):
    path = _write(tmp_path, "p.ndjson", '{"resourceType": "Patient"}\n'
                                        '{"resourceType": "Patient", "gender": "x"}\n'
                                        '{oops\n'
                                        '{"resourceType": "Patient"}\n')
    single = _write(tmp_path, "single.json", json.dumps({"resourceType": "Practitioner", "id": "doc-1"}))
    report = load_paths(ctx, [path, single], progress=False, keep_going=True)
    assert report.resources == 3 and report.files == 1
    assert store.resources.count_documents({}) == 3
    assert any("p.ndjson, line 2" in f and "gender" in f for f in report.failures)
    assert any("p.ndjson, line 3" in f and "not valid JSON" in f for f in report.failures)
    assert any("2 of 4 lines refused, 2 stored" in f for f in report.failures)


def test_summary_counts_what_a_failing_collection_stored(ctx, store, tmp_path):
    bad = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient"}}, {"resource": {"resourceType": "Patient", "gender": "x"}},
        {"resource": {"resourceType": "Patient"}}]}
    path = _write(tmp_path, "bad.json", json.dumps(bad))
    report = load_paths(ctx, [path], progress=False, keep_going=True)
    assert (report.files, report.resources) == (0, 1)
    assert store.resources.count_documents({}) == 1


def test_summary_counts_what_a_failing_batch_stored(ctx, store, tmp_path):
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
        {"resource": {"resourceType": "Patient", "gender": "x"}, "request": {"method": "POST", "url": "Patient"}}]}
    path = _write(tmp_path, "batch.json", json.dumps(batch))
    report = load_paths(ctx, [path], progress=False, keep_going=True)
    assert (report.files, report.resources) == (0, 1)
    assert store.resources.count_documents({}) == 1


def test_cli_keep_going_reports_what_was_stored(mongo_uri, mongo_client, tmp_path, monkeypatch, capsys):
    database = f"cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("FHIR_DB_NAME", database)
    path = _write(tmp_path, "p.ndjson", '{"resourceType": "Patient"}\n{"resourceType": "Patient", "gender": "x"}\n')
    assert cli.main(["load", "--keep-going", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "loaded 1 resources from 0 files" in out
    assert "p.ndjson, line 2" in err
    assert cli.main(["load", str(path)]) == 1
    err = capsys.readouterr().err
    assert "load failed" in err and "p.ndjson, line 2" in err and "stored before the failure: 0 resources" in err
    assert mongo_client[database].resources.count_documents({}) == 1
    mongo_client.drop_database(database)
