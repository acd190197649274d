"""search over HTTP: _include/_revinclude (through the access policy), _summary, _elements, _total,
multi-key _sort paging, bad input (http://hl7.org/fhir/R4/search.html#return, #include, #summary).

The Synthea dev resources are stored once for the module; expected results come from the bundle
JSON (tests/search/corpus.py), not from the server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from pymongo import MongoClient

from fhir_server.config import Settings
from fhir_server.interactions.search_type import search_bundle
from fhir_server.rest import FhirRequest
from fhir_server.routes import make_context
from fhir_server.storage.mongo import Store, ensure_indexes
from fhir_server.storage.store import current_document
from tests.conftest import BASE
from tests.search.corpus import of_type, synthea_resources

R = synthea_resources()
PATIENTS, OBSERVATIONS, ENCOUNTERS = of_type(R, "Patient"), of_type(R, "Observation"), of_type(R, "Encounter")
BY_REF = {f"{r['resourceType']}/{r['id']}": r for r in R}


@pytest.fixture(scope="module")
def loaded(mongo_client: MongoClient) -> Iterator[Store]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    store = Store(client=mongo_client, db=mongo_client[name])
    ensure_indexes(store)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    store.resources.insert_many([current_document(r, 1, start + timedelta(seconds=n), "POST")
                                 for n, r in enumerate(R)])
    yield store
    mongo_client.drop_database(name)


@pytest.fixture(scope="module")
def api(loaded: Store):  # type: ignore[no-untyped-def]
    from fhir_server.app import create_app
    from tests.fhir_client import FhirTestClient

    app = create_app(Settings(base_url=BASE, auth="off"), store=loaded)
    return FhirTestClient(app.test_client())


def get(api, path: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = api.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def by_mode(bundle: dict[str, Any], mode: str) -> list[str]:
    return sorted(f"{e['resource']['resourceType']}/{e['resource']['id']}"
                  for e in bundle.get("entry", []) if e["search"]["mode"] == mode)


# -- _include / _revinclude ---------------------------------------------------------------------------
def test_include_and_iterate(api) -> None:  # type: ignore[no-untyped-def]
    encounter = ENCOUNTERS[0]
    bundle = get(api, f"Encounter?_id={encounter['id']}&_include=Encounter:subject"
                      "&_include:iterate=Patient:general-practitioner")
    assert by_mode(bundle, "match") == [f"Encounter/{encounter['id']}"]
    patient = BY_REF[encounter["subject"]["reference"]]
    expected = [encounter["subject"]["reference"],
                *[g["reference"] for g in patient.get("generalPractitioner", []) if g["reference"] in BY_REF]]
    assert by_mode(bundle, "include") == sorted(expected)
    assert bundle["total"] == 1  # includes are not counted
    without_iterate = get(api, f"Encounter?_id={encounter['id']}&_include=Encounter:subject"
                               "&_include=Patient:general-practitioner")
    assert by_mode(without_iterate, "include") == [encounter["subject"]["reference"]]


def test_include_star_and_target_type(api) -> None:  # type: ignore[no-untyped-def]
    encounter = ENCOUNTERS[1]
    refs = {v["reference"] for k in ("subject", "serviceProvider") for v in [encounter.get(k)] if v}
    refs |= {p["individual"]["reference"] for p in encounter.get("participant", [])}
    bundle = get(api, f"Encounter?_id={encounter['id']}&_include=*")
    assert set(by_mode(bundle, "include")) == {r for r in refs if r in BY_REF}
    typed = get(api, f"Encounter?_id={encounter['id']}&_include=Encounter:participant:Practitioner")
    assert all(r.startswith("Practitioner/") for r in by_mode(typed, "include"))


def test_revinclude(api) -> None:  # type: ignore[no-untyped-def]
    patient = PATIENTS[2]
    bundle = get(api, f"Patient?_id={patient['id']}&_revinclude=Condition:patient&_revinclude=Encounter:subject")
    expected = [f"{r['resourceType']}/{r['id']}" for r in R if r["resourceType"] in ("Condition", "Encounter")
                and r["subject"]["reference"] == f"Patient/{patient['id']}"]
    assert by_mode(bundle, "include") == sorted(expected) and expected


@pytest.mark.parametrize("value", ["_include=Observation:nope", "_include=Nope:subject", "_include=Observation",
                                   "_include:deep=Observation:subject", "_revinclude=*",
                                   "_include=Observation:status"])
def test_bad_include_is_400(api, value: str) -> None:  # type: ignore[no-untyped-def]
    response = api.get(f"Observation?{value}")
    assert response.status_code == 400
    assert value.split("=")[0] in response.get_json()["issue"][0]["diagnostics"]


class OnePatient:
    """A policy that opens one patient's compartment and the resources in no compartment; the
    search filter and the visibility check can be switched off to test each alone."""

    def __init__(self, patient: str, *, filter_on: bool = True, visible_on: bool = True) -> None:
        self.patient, self.filter_on, self.visible_on = patient, filter_on, visible_on

    def visible(self, doc: dict[str, Any]) -> bool:
        return not self.visible_on or not doc.get("cmp") or self.patient in doc["cmp"]

    def search_filter(self, resource_type: str) -> dict[str, Any]:
        if not self.filter_on:
            return {}
        return {"$or": [{"cmp": self.patient}, {"cmp": {"$size": 0}}]}

    def history_filter(self, resource_type: str | None) -> dict[str, Any]:
        return {}

    def check_write(self, resource_type: str, resource: dict[str, Any] | None) -> None:
        return None


def _search(loaded: Store, policy: Any, rtype: str, params: list[tuple[str, str]]) -> dict[str, Any]:
    ctx = make_context(Settings(base_url=BASE, auth="off"), loaded, policy=policy)
    return search_bundle(ctx, FhirRequest("GET", [rtype], params), rtype, params)


@pytest.mark.parametrize("switch", [{"filter_on": False}, {"visible_on": False}, {}])
def test_includes_go_through_the_access_policy(loaded: Store, switch: dict[str, bool]) -> None:
    mine, other = PATIENTS[0]["id"], PATIENTS[1]["id"]
    policy = OnePatient(mine, **switch)
    # An Organization (no compartment) is visible; its revincluded Encounters only the patient's own.
    organization = ENCOUNTERS[0]["serviceProvider"]["reference"]
    bundle = _search(loaded, policy, "Organization", [("_id", organization.split("/")[1]),
                                                       ("_revinclude", "Encounter:service-provider"),
                                                       ("_revinclude", "Observation:performer")])
    included = by_mode(bundle, "include")
    assert included and all(mine in BY_REF[r]["subject"]["reference"] for r in included)
    # A visible Flag whose author is another patient: the author is not included.
    flag = {"resourceType": "Flag", "id": f"flag-{uuid.uuid4().hex[:8]}", "status": "active", "code": {"text": "x"},
            "subject": {"reference": f"Patient/{mine}"}, "author": {"reference": f"Patient/{other}"}}
    loaded.resources.insert_one(current_document(flag, 1, datetime.now(UTC), "POST"))
    bundle = _search(loaded, policy, "Flag", [("_id", flag["id"]), ("_include", "Flag:author"),
                                              ("_include", "Flag:subject")])
    assert by_mode(bundle, "match") == [f"Flag/{flag['id']}"]
    assert by_mode(bundle, "include") == [f"Patient/{mine}"]
    # A Practitioner (no compartment) is visible; of its Encounters only the open patient's.
    practitioner = ENCOUNTERS[0]["participant"][0]["individual"]["reference"]
    bundle = _search(loaded, policy, "Practitioner", [("_id", practitioner.split("/")[1]),
                                                      ("_revinclude", "Encounter:practitioner")])
    assert all(BY_REF[r]["subject"]["reference"] == f"Patient/{mine}" for r in by_mode(bundle, "include"))
    # Chains and _has do not test resources out of reach either.
    family = PATIENTS[1]["name"][0]["family"]
    bundle = _search(loaded, policy, "Encounter", [("subject:Patient.family", family)])
    assert "entry" not in bundle
    bundle = _search(loaded, policy, "Organization", [("_has:Patient:organization:family", family)])
    assert "entry" not in bundle


# -- _summary, _elements, _total ------------------------------------------------------------------------
SUBSETTED = "SUBSETTED"


def _tags(resource: dict[str, Any]) -> list[str]:
    return [t["code"] for t in resource.get("meta", {}).get("tag", [])]


def test_summary_modes(api) -> None:  # type: ignore[no-untyped-def]
    patient = PATIENTS[0]
    base = f"Patient?_id={patient['id']}"
    whole = get(api, base)["entry"][0]["resource"]
    assert whole == patient | {"meta": whole["meta"]} and SUBSETTED not in _tags(whole)
    summary = get(api, base + "&_summary=true")["entry"][0]["resource"]
    assert SUBSETTED in _tags(summary)
    assert {"name", "gender", "birthDate", "identifier"} <= set(summary) and not {"text", "communication",
                                                                                   "maritalStatus"} & set(summary)
    text = get(api, base + "&_summary=text")["entry"][0]["resource"]
    assert set(text) <= {"resourceType", "id", "meta", "text"} and "text" in text
    data = get(api, base + "&_summary=data")["entry"][0]["resource"]
    assert "text" not in data and set(data) == set(patient) - {"text"}
    assert get(api, base + "&_summary=false")["entry"][0]["resource"] == whole
    count = get(api, "Observation?_summary=count")
    assert count["total"] == len(OBSERVATIONS) and "entry" not in count
    assert api.get(base + "&_summary=maybe").status_code == 400


def test_elements(api) -> None:  # type: ignore[no-untyped-def]
    observation = OBSERVATIONS[0]
    bundle = get(api, f"Observation?_id={observation['id']}&_elements=subject,valueQuantity")
    resource = bundle["entry"][0]["resource"]
    # status and code are mandatory in Observation: kept
    assert set(resource) == {"resourceType", "id", "meta", "subject", "valueQuantity", "status", "code"} & (
        set(observation) | {"meta"})
    assert SUBSETTED in _tags(resource)
    assert api.get("Observation?_elements=a$b").status_code == 400


def test_total_modes(api) -> None:  # type: ignore[no-untyped-def]
    assert "total" not in get(api, "Observation?_total=none&_count=1")
    assert get(api, "Observation?_total=estimate&_count=1")["total"] == len(OBSERVATIONS)
    assert get(api, "Observation?_total=accurate&_count=1")["total"] == len(OBSERVATIONS)
    patient = PATIENTS[0]["id"]
    mine = [o for o in OBSERVATIONS if o["subject"]["reference"] == f"Patient/{patient}"]
    scoped = get(api, f"Observation?patient={patient}&_count=2&_sort=-date")
    assert scoped["total"] == len(mine) and len(scoped["entry"]) == 2
    assert api.get("Observation?_total=some").status_code == 400


def test_multi_key_sort_pages_cover_everything_once(api) -> None:  # type: ignore[no-untyped-def]
    patient = PATIENTS[3]["id"]
    mine = sorted(o["id"] for o in OBSERVATIONS if o["subject"]["reference"] == f"Patient/{patient}")
    page = get(api, f"Observation?patient={patient}&_sort=code,-date&_count=7")
    seen = [e["resource"]["id"] for e in page["entry"]]
    while (link := next((x["url"] for x in page["link"] if x["relation"] == "next"), None)):
        parsed = urlparse(link)
        page = api.client.get(parsed.path + "?" + parsed.query).get_json()
        seen += [e["resource"]["id"] for e in page["entry"]]
    assert sorted(seen) == mine and len(seen) == len(mine)


@pytest.mark.parametrize("query", ["Observation?code:nope=x", "Observation?date=20x9", "Observation?date=xx2019",
                                   "Observation?status.name=x", "Observation?value-quantity=big",
                                   "Patient?_has:Observation:nope:code=x", "Observation?_sort=nope"])
def test_bad_search_input_is_a_400_outcome_naming_the_parameter(api, query: str) -> None:  # type: ignore[no-untyped-def]
    response = api.get(query)
    assert response.status_code == 400
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    name = query.split("?", 1)[1].split("=")[0]
    assert name in outcome["issue"][0]["diagnostics"]


def test_summary_and_elements_on_read(api) -> None:  # type: ignore[no-untyped-def]
    patient = PATIENTS[0]
    whole = get(api, f"Patient/{patient['id']}")
    assert SUBSETTED not in _tags(whole) and "text" in whole
    summary = get(api, f"Patient/{patient['id']}?_summary=true")
    assert SUBSETTED in _tags(summary) and "text" not in summary and "name" in summary
    elements = get(api, f"Patient/{patient['id']}?_elements=gender")
    assert set(elements) == {"resourceType", "id", "meta", "gender"}
    assert api.get(f"Patient/{patient['id']}?_summary=count").status_code == 400


def test_uri_above_and_below(client) -> None:  # type: ignore[no-untyped-def]
    urls = ["http://emc.mos.ru/fhir/ValueSet/a", "http://emc.mos.ru/fhir/ValueSet/a/b", "http://emc.mos.ru/fhir",
            "http://other.org/fhir/ValueSet/a"]
    made = {u: client.create({"resourceType": "ValueSet", "status": "active", "url": u})["id"] for u in urls}

    def urls_of(query: str) -> list[str]:
        bundle = client.get(query).get_json()
        return sorted(e["resource"]["url"] for e in bundle.get("entry", []))

    assert urls_of("ValueSet?url:below=http://emc.mos.ru/fhir/ValueSet") == sorted(urls[:2])
    assert urls_of("ValueSet?url:above=http://emc.mos.ru/fhir/ValueSet/a/b/_history/3") == sorted(urls[:3])
    assert urls_of("ValueSet?url=http://emc.mos.ru/fhir") == [urls[2]] and made


def test_reference_identifier(client) -> None:  # type: ignore[no-untyped-def]
    mhi = "https://emc.mos.ru/fhir/NamingSystem/mhi-policy"
    observation = client.create({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                                 "subject": {"identifier": {"system": mhi, "value": "7700000000000001"}}})
    other = client.create({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                           "subject": {"identifier": {"system": mhi, "value": "7700000000000002"}}})

    def ids(query: str) -> list[str]:
        return sorted(e["resource"]["id"] for e in client.get(query).get_json().get("entry", []))

    assert ids(f"Observation?subject:identifier={mhi}|7700000000000001") == [observation["id"]]
    assert ids("Observation?subject:identifier=7700000000000002") == [other["id"]]
    assert ids("Observation?subject:identifier=http://other|7700000000000002") == []
