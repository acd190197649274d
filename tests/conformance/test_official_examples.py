"""All 264 official R4 examples round-trip: stored, read back, equal except ``meta``."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLES_DIR

EXAMPLES = sorted(p for p in EXAMPLES_DIR.glob("*.json") if not p.name.startswith("_"))


def _without_meta(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if k != "meta"}


def test_all_examples_are_present():
    assert len(EXAMPLES) == 264


@pytest.fixture(scope="module")
def shared_client(mongo_client):
    """One database for the module: the examples do not interfere with each other."""
    import uuid

    from fhir_server.app import create_app
    from fhir_server.config import Settings
    from fhir_server.storage.mongo import Store
    from tests.conftest import BASE
    from tests.fhir_client import FhirTestClient

    name = f"examples_{uuid.uuid4().hex[:8]}"
    app = create_app(Settings(base_url=BASE, auth="off"), store=Store(client=mongo_client, db=mongo_client[name]))
    yield FhirTestClient(app.test_client())
    mongo_client.drop_database(name)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_round_trip(shared_client, path):
    original = json.loads(path.read_text(encoding="utf-8"))
    rtype = original["resourceType"]
    if "id" in original:
        response = shared_client.put(f"{rtype}/{original['id']}", original)
        assert response.status_code in (200, 201), response.get_json()
        rid = original["id"]
    else:
        response = shared_client.post(rtype, original)
        assert response.status_code == 201, response.get_json()
        rid = response.get_json()["id"]
    read = shared_client.get(f"{rtype}/{rid}")
    assert read.status_code == 200
    assert _without_meta(read.get_json()) == _without_meta({**original, "id": rid})
    meta = read.get_json()["meta"]
    for key, value in (original.get("meta") or {}).items():
        if key not in ("versionId", "lastUpdated"):
            assert meta[key] == value
