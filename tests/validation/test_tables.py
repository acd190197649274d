"""The generated tables match the official schema and the installed fhir.resources."""

from __future__ import annotations

import importlib
import json

from fhir.resources.R4B import get_fhir_model_class

from fhir_server.validation.tables import R4_ONLY_SCHEMA_FILE, TABLES_FILE, tables
from tests.conftest import SHARED
from tools import gen_validation_data as gen

SCHEMA = SHARED / "fhir-r4" / "definitions" / "fhir.schema.json"


def test_generated_files_are_up_to_date(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(gen, "OUT_DIR", tmp_path)
    monkeypatch.setattr("sys.argv", ["gen", str(SCHEMA)])
    gen.main()
    assert (tmp_path / TABLES_FILE.name).read_text() == TABLES_FILE.read_text()
    assert (tmp_path / R4_ONLY_SCHEMA_FILE.name).read_text() == R4_ONLY_SCHEMA_FILE.read_text()


def test_every_class_path_resolves() -> None:
    for path in tables()["classDefs"]:
        module, _, name = path.rpartition(".")
        assert isinstance(getattr(importlib.import_module(module), name), type)


def test_bindings_match_the_official_schema() -> None:
    definitions = json.loads(SCHEMA.read_text(encoding="utf-8"))["definitions"]
    bindings = tables()["bindings"]
    assert bindings["Observation"]["status"] == definitions["Observation"]["properties"]["status"]["enum"]
    assert bindings["Patient"]["gender"] == ["male", "female", "other", "unknown"]
    assert "transaction" in bindings["Bundle"]["type"]
    assert bindings["Quantity"]["comparator"] == ["<", "<=", ">=", ">"]
    assert bindings["Bundle_Request"]["method"] == ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]


def test_the_jsonschema_types_are_those_r4b_lacks_or_remodelled() -> None:
    missing = []
    for rtype in tables()["resourceTypes"]:
        try:
            get_fhir_model_class(rtype)
        except ValueError:
            missing.append(rtype)
    assert len(missing) == 18
    assert sorted(tables()["schemaTypes"]) == sorted([*missing, "Evidence", "EvidenceVariable"])
