"""``Composition/$document``: a document Bundle in which every reference resolves; persist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fhir_server.operations.document import local_references
from fhir_server.validation import validate_structure
from tests.conftest import BASE
from tests.operations.test_everything import HidingPolicy

GOLDEN = Path(__file__).resolve().parents[1] / "mappers" / "golden"


def _load(client, name: str) -> dict:
    bundle = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    bundle = bundle[0] if isinstance(bundle, list) else bundle  # some golden files hold a list of Bundles
    response = client.post("", bundle)
    assert response.status_code == 200, response.get_json()
    locations = [e["response"]["location"] for e in response.get_json()["entry"]]
    return {loc.split("/")[-4] + "/" + loc.split("/")[-3]: loc for loc in locations}


def _composition_id(stored: dict) -> str:
    return next(k for k in stored if k.startswith("Composition/")).split("/")[1]


def _check_document(bundle: dict, composition_id: str) -> None:
    assert validate_structure(bundle) == []
    assert bundle["type"] == "document"
    assert bundle["identifier"]["value"].startswith("urn:uuid:") and bundle["timestamp"]
    first = bundle["entry"][0]
    assert first["resource"]["resourceType"] == "Composition" and first["resource"]["id"] == composition_id
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}/{resource['resourceType']}/{resource['id']}"
        for target in local_references(resource, BASE):
            assert f"{BASE}/{target}" in urls, f"{target} (from {resource['resourceType']}) resolves in the document"


@pytest.mark.parametrize("name", ["cda_discharge__pneumonia_discharge.json", "exam_protocol__hypertension_visit.json"])
def test_document_resolves_every_reference(client, name):
    stored = _load(client, name)
    cid = _composition_id(stored)
    response = client.get(f"Composition/{cid}/$document")
    assert response.status_code == 200
    bundle = response.get_json()
    _check_document(bundle, cid)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Composition", "Patient", "Encounter", "Practitioner", "Organization"} <= kinds
    if name.startswith("exam"):
        assert "Condition" in kinds, "section entries and what they refer to"


def test_every_reference_is_counted(client):
    stored = _load(client, "exam_protocol__hypertension_visit.json")
    bundle = client.get(f"Composition/{_composition_id(stored)}/$document").get_json()
    direct_and_indirect = set()
    for entry in bundle["entry"]:
        direct_and_indirect.update(local_references(entry["resource"], BASE))
    assert {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"][1:]} <= direct_and_indirect


def test_type_level_and_post(client):
    stored = _load(client, "cda_discharge__pneumonia_discharge.json")
    cid = _composition_id(stored)
    by_query = client.get(f"Composition/$document?id={cid}").get_json()
    _check_document(by_query, cid)
    body = {"resourceType": "Parameters", "parameter": [{"name": "id", "valueUri": cid}]}
    _check_document(client.post("Composition/$document", body).get_json(), cid)


def test_persist_stores_the_document(client):
    stored = _load(client, "cda_discharge__pneumonia_discharge.json")
    cid = _composition_id(stored)
    response = client.get(f"Composition/{cid}/$document?persist=true")
    assert response.status_code == 200
    document = response.get_json()
    assert document["id"] and document["meta"]["versionId"] == "1"
    assert response.headers["Location"].endswith(f"/Bundle/{document['id']}/_history/1")
    read = client.get(f"Bundle/{document['id']}").get_json()
    assert read == document
    _check_document(read, cid)
    again = client.get(f"Composition/{cid}/$document").get_json()
    assert again["identifier"] != document["identifier"], "each document has its own identifier"
    assert client.get("Bundle?type=document").get_json()["total"] == 1


def test_hidden_targets_are_not_included(app, client):
    stored = _load(client, "cda_discharge__pneumonia_discharge.json")
    app.extensions["fhir_context"].policy = HidingPolicy("Practitioner")
    bundle = client.get(f"Composition/{_composition_id(stored)}/$document").get_json()
    assert "Practitioner" not in {e["resource"]["resourceType"] for e in bundle["entry"]}
    app.extensions["fhir_context"].policy = HidingPolicy("Composition")
    assert client.get(f"Composition/{_composition_id(stored)}/$document").status_code == 404


@pytest.mark.parametrize("query", ["persist=yes", "graph=http://x/GraphDefinition/g", "foo=1", "id=abc",
                                   "persist=true&persist=false"])
def test_bad_parameters_are_400(client, query):
    stored = _load(client, "exam_protocol__minimal_visit.json")
    response = client.get(f"Composition/{_composition_id(stored)}/$document?{query}")
    assert response.status_code == 400, response.get_json()


def test_missing_composition(client):
    assert client.get("Composition/nothing/$document").status_code == 404
    assert client.get("Composition/$document").status_code == 400
    assert client.get("Patient/x/$document").status_code == 404
