"""One database with the 12 Synthea dev patients, loaded once for the read-only operation tests,
and the mapping from each bundle's ``fullUrl`` to the id the server gave the resource."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import BASE, SYNTHEA_DEV
from tests.fhir_client import FhirTestClient


@dataclass
class Loaded:
    client: FhirTestClient
    app: Any
    #: per bundle file stem: the bundle with every urn:uuid reference rewritten to the server's Type/id
    bundles: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: per bundle file stem: the server id of its Patient
    patients: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def synthea(mongo_client) -> Iterator[Loaded]:
    from fhir_server.app import create_app
    from fhir_server.config import Settings
    from fhir_server.storage.mongo import Store

    name = f"ops_{uuid.uuid4().hex[:8]}"
    app = create_app(Settings(base_url=BASE, auth="off"), store=Store(client=mongo_client, db=mongo_client[name]))
    client = FhirTestClient(app.test_client())
    loaded = Loaded(client, app)
    for path in sorted(SYNTHEA_DEV.glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        response = client.post("", bundle)
        assert response.status_code == 200, response.get_json()
        stem = path.stem.split("_")[0] + "_" + path.stem.split("_")[1]
        local = _localise(bundle, response.get_json())
        loaded.bundles[stem] = local
        loaded.patients[stem] = next(e["resource"]["id"] for e in local["entry"]
                                     if e["resource"]["resourceType"] == "Patient")
    yield loaded
    mongo_client.drop_database(name)


def _localise(bundle: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    ids = {}
    for entry, answer in zip(bundle["entry"], response["entry"], strict=True):
        location = answer["response"]["location"].split("/_history/")[0]
        ids[entry["fullUrl"]] = "/".join(location.split("/")[-2:])
    text = json.dumps(bundle)
    for full_url, local in ids.items():
        text = text.replace(f'"{full_url}"', f'"{local}"')
    out = json.loads(text)
    for entry, original in zip(out["entry"], bundle["entry"], strict=True):
        entry["resource"]["id"] = ids[original["fullUrl"]].split("/")[1]
        entry["fullUrl"] = ids[original["fullUrl"]]
    return out


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"]]


def fetch_all(client: FhirTestClient, path: str) -> list[dict[str, Any]]:
    """Every entry of a paged Bundle, following next links."""
    out: list[dict[str, Any]] = []
    response = client.get(path)
    while True:
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        out.extend(page.get("entry", []))
        nxt = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
        if nxt is None:
            return out
        response = client.get(nxt[len(BASE):])
