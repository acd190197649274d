"""SearchParameter resources created through the API become searchable, old data reindexed
(http://hl7.org/fhir/R4/searchparameter.html; docs/search.md "Custom search parameters")."""

from __future__ import annotations

import pytest

from fhir_server.search import custom, reindex
from fhir_server.search.parameters import search_param

BIRTH_PLACE = {
    "resourceType": "SearchParameter", "url": "https://emc.mos.ru/fhir/SearchParameter/patient-birth-place",
    "name": "birthPlace", "status": "active", "description": "Place of birth (city)", "code": "birth-place",
    "base": ["Patient"], "type": "string",
    "expression": "Patient.extension('http://hl7.org/fhir/StructureDefinition/patient-birthPlace').value.city",
}
EXTENSION = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"


def _patient(city: str) -> dict:
    return {"resourceType": "Patient", "name": [{"family": city}],
            "extension": [{"url": EXTENSION, "valueAddress": {"city": city}}]}


@pytest.fixture(autouse=True)
def _no_background_worker(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FHIR_REINDEX_WORKER", "off")
    yield
    custom.set_custom({})
    custom._seen.clear()
    custom._loaded.clear()


def _ids(bundle: dict) -> list[str]:
    return sorted(e["resource"]["id"] for e in bundle.get("entry", []))


def test_a_created_search_parameter_is_searchable_and_old_data_is_reindexed(client, store) -> None:  # type: ignore[no-untyped-def]
    before = client.create(_patient("Москва"))
    assert client.get("Patient?birth-place=моск", headers={"Prefer": "handling=strict"}).status_code == 400
    created = client.create(BIRTH_PLACE)
    after = client.create(_patient("Moskva"))
    bundle = client.get("Patient?birth-place=mosk").get_json()
    assert _ids(bundle) == [after["id"]]  # new writes are indexed at once
    job = store.db["reindex"].find_one({"_id": f"SearchParameter/{created['id']}/1"})
    assert job["status"] == "pending" and job["types"] == ["Patient"]
    seen: list[tuple[int, str]] = []
    assert reindex.run_pending(store, lambda j: seen.append((j["done"], j["status"]))) == 1
    assert seen[-1] == (2, "done")
    job = store.db["reindex"].find_one({"_id": job["_id"]})
    assert (job["done"], job["total"], job["status"]) == (2, 2, "done")
    assert _ids(client.get("Patient?birth-place=моск").get_json()) == [before["id"]]
    assert _ids(client.get("Patient?birth-place:exact=Moskva").get_json()) == [after["id"]]
    assert search_param("Patient", "birth-place") is not None


def test_official_codes_and_bad_expressions_are_not_registered() -> None:
    clash = {**BIRTH_PLACE, "code": "name"}
    broken = {**BIRTH_PLACE, "code": "broken", "expression": "Patient.name.where("}
    retired = {**BIRTH_PLACE, "code": "old", "status": "retired"}
    abstract = {**BIRTH_PLACE, "code": "everywhere", "base": ["Resource"]}
    assert custom.registered([clash, broken, retired, abstract]) == {}
    assert set(custom.registered([BIRTH_PLACE])["Patient"]) == {"birth-place"}


def test_deleting_the_search_parameter_unregisters_it(client, store) -> None:  # type: ignore[no-untyped-def]
    created = client.create(BIRTH_PLACE)
    assert client.delete(f"SearchParameter/{created['id']}").status_code in (200, 204)
    custom.sync(store, force=True)
    assert search_param("Patient", "birth-place") is None
