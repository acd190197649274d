"""The 12 Synthea dev bundles load as transactions and no ``urn:uuid`` reference survives."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SYNTHEA_DEV

BUNDLES = sorted(SYNTHEA_DEV.glob("*.json"))


def _references(value, found: list[str]) -> list[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                _references(item, found)
    elif isinstance(value, list):
        for item in value:
            _references(item, found)
    return found


def test_there_are_twelve_bundles():
    assert len(BUNDLES) == 12


@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: p.stem.split("_")[0])
def test_bundle_loads_as_transaction(client, store, path):
    bundle = json.loads(path.read_text(encoding="utf-8"))
    response = client.post("", bundle)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert len(result["entry"]) == len(bundle["entry"])
    assert all(e["response"]["status"] == "201 Created" for e in result["entry"])
    stored = [doc["res"] for doc in store.resources.find({}, {"res": 1})]
    assert len(stored) == len(bundle["entry"])
    references = _references(stored, [])
    assert references, "the bundle has references"
    assert not [r for r in references if r.startswith("urn:uuid:")]
    ids = {f"{r['resourceType']}/{r['id']}" for r in stored}
    external = [r for r in references if not r.startswith("#")]  # "#x" points into contained
    assert all(r in ids for r in external), "every reference resolves inside the stored data"
    patient = next(r for r in stored if r["resourceType"] == "Patient")
    everything_for_patient = store.resources.count_documents({"cmp": patient["id"]})
    assert everything_for_patient > 1
