"""``Patient/[id]/$everything``: exactly the patient's compartment, with start, end, _since, _type,
_count and paging, through the access policy."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from fhir_server.access.policy import OpenAccess
from fhir_server.search.date import FAR_FUTURE, parse_range
from tests.operations.compartment_oracle import patients_of
from tests.operations.conftest import fetch_all, resources


def _keys(entries: list[dict]) -> list[str]:
    return [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries]


_MEMBERSHIP: dict[str, set[str]] = {}


def _expected(synthea, patient_id: str) -> set[str]:
    """The oracle's compartment of ``patient_id`` over everything loaded (computed once)."""
    if not _MEMBERSHIP:
        for bundle in synthea.bundles.values():
            for r in resources(bundle):
                _MEMBERSHIP[f"{r['resourceType']}/{r['id']}"] = patients_of(r)
    return {key for key, patients in _MEMBERSHIP.items() if patient_id in patients}


@pytest.mark.parametrize("index", range(12))
def test_everything_is_exactly_the_compartment(synthea, index):
    stem = sorted(synthea.patients)[index]
    patient_id = synthea.patients[stem]
    response = synthea.client.get(f"Patient/{patient_id}/$everything")
    assert response.status_code == 200
    bundle = response.get_json()
    keys = _keys(bundle["entry"])
    assert len(keys) == len(set(keys)), "no duplicates"
    expected = _expected(synthea, patient_id)
    assert set(keys) == expected
    assert bundle["total"] == len(expected)
    assert bundle["type"] == "searchset"
    assert all(e["fullUrl"].endswith(k) for e, k in zip(bundle["entry"], keys, strict=True))


def test_type_filter(synthea):
    patient_id = synthea.patients[sorted(synthea.patients)[0]]
    entries = fetch_all(synthea.client, f"Patient/{patient_id}/$everything?_type=Condition,Patient&_type=Encounter")
    expected = {k for k in _expected(synthea, patient_id) if k.split("/")[0] in ("Condition", "Patient", "Encounter")}
    assert set(_keys(entries)) == expected
    none = synthea.client.get(f"Patient/{patient_id}/$everything?_type=Organization").get_json()
    assert none["total"] == 0 and "entry" not in none


def _care_range(resource: dict):
    """Care dates of the types used below, read from the JSON (independent of the server)."""
    rtype = resource["resourceType"]
    if rtype == "Encounter":
        period = resource.get("period", {})
        low = parse_range(period["start"])[0] if "start" in period else datetime(1, 1, 1, tzinfo=UTC)
        high = parse_range(period["end"])[1] if "end" in period else FAR_FUTURE
        return low, high
    key = {"Observation": "effectiveDateTime", "Condition": "onsetDateTime"}.get(rtype)
    if key and key in resource:
        return parse_range(resource[key])
    return None


def test_start_and_end_select_care_dates(synthea):
    stem = max(synthea.bundles, key=lambda s: len(synthea.bundles[s]["entry"]))
    patient_id = synthea.patients[stem]
    start, end = "2015-01-01", "2018-12-31"
    low, high = parse_range(start)[0], parse_range(end)[1]
    expected = set()
    for r in resources(synthea.bundles[stem]):
        if r["resourceType"] not in ("Encounter", "Observation", "Condition", "Patient"):
            continue
        care = _care_range(r)
        if care is None or (care[1] >= low and care[0] <= high):
            expected.add(f"{r['resourceType']}/{r['id']}")
    path = f"Patient/{patient_id}/$everything?_type=Encounter,Observation,Condition,Patient&start={start}&end={end}"
    got = set(_keys(fetch_all(synthea.client, path)))
    assert got == expected
    assert f"Patient/{patient_id}" in got, "undated resources are kept"
    everything = _expected(synthea, patient_id)
    assert len(got) < len([k for k in everything if k.split("/")[0] in ("Encounter", "Observation", "Condition")])


def test_paging_with_count(synthea):
    patient_id = synthea.patients[sorted(synthea.patients)[1]]
    first = synthea.client.get(f"Patient/{patient_id}/$everything?_count=10").get_json()
    assert len(first["entry"]) == 10
    entries = fetch_all(synthea.client, f"Patient/{patient_id}/$everything?_count=10")
    keys = _keys(entries)
    assert len(keys) == len(set(keys))
    assert set(keys) == _expected(synthea, patient_id)
    assert first["total"] == len(keys)
    empty = synthea.client.get(f"Patient/{patient_id}/$everything?_count=0").get_json()
    assert "entry" not in empty and empty["total"] == len(keys)


def test_since(client):
    patient = client.create({"resourceType": "Patient", "name": [{"family": "Петров"}]})
    first = client.create({"resourceType": "Observation", "status": "final", "code": {"text": "a"},
                           "subject": {"reference": f"Patient/{patient['id']}"}})
    time.sleep(0.01)
    cut = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    time.sleep(0.01)
    second = client.create({"resourceType": "Condition", "code": {"text": "b"},
                            "subject": {"reference": f"Patient/{patient['id']}"}})
    every = client.get(f"Patient/{patient['id']}/$everything").get_json()
    assert {e["resource"]["id"] for e in every["entry"]} == {patient["id"], first["id"], second["id"]}
    since = client.get(f"Patient/{patient['id']}/$everything", query_string={"_since": cut}).get_json()
    assert [e["resource"]["id"] for e in since["entry"]] == [second["id"]]


def test_other_patients_and_deleted_resources_stay_out(client):
    a = client.create({"resourceType": "Patient"})
    b = client.create({"resourceType": "Patient"})
    mine = client.create({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                          "subject": {"reference": f"Patient/{a['id']}"}})
    client.create({"resourceType": "Observation", "status": "final", "code": {"text": "y"},
                   "subject": {"reference": f"Patient/{b['id']}"}})
    gone = client.create({"resourceType": "Observation", "status": "final", "code": {"text": "z"},
                          "subject": {"reference": f"Patient/{a['id']}"}})
    assert client.delete(f"Observation/{gone['id']}").status_code in (200, 204)
    bundle = client.get(f"Patient/{a['id']}/$everything").get_json()
    assert {e["resource"]["id"] for e in bundle["entry"]} == {a["id"], mine["id"]}


class HidingPolicy(OpenAccess):
    """Hides one resource type, in queries and in ``visible``."""

    def __init__(self, hidden: str) -> None:
        self.hidden = hidden
        self.asked: set[str] = set()

    def visible(self, doc):  # type: ignore[no-untyped-def]
        return doc["t"] != self.hidden

    def search_filter(self, resource_type):  # type: ignore[no-untyped-def]
        self.asked.add(resource_type)
        return {"_id": {"$in": []}} if resource_type == self.hidden else {}


def test_access_policy_narrows_and_hides(app, client):
    patient = client.create({"resourceType": "Patient"})
    client.create({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                   "subject": {"reference": f"Patient/{patient['id']}"}})
    kept = client.create({"resourceType": "Condition", "code": {"text": "c"},
                          "subject": {"reference": f"Patient/{patient['id']}"}})
    policy = HidingPolicy("Observation")
    app.extensions["fhir_context"].policy = policy
    bundle = client.get(f"Patient/{patient['id']}/$everything").get_json()
    assert {e["resource"]["id"] for e in bundle["entry"]} == {patient["id"], kept["id"]}
    assert bundle["total"] == 2
    assert "Observation" in policy.asked
    app.extensions["fhir_context"].policy = HidingPolicy("Patient")
    response = client.get(f"Patient/{patient['id']}/$everything")
    assert response.status_code == 404, "an invisible patient looks absent"


@pytest.mark.parametrize("query", [
    "start=yesterday", "end=2020-13-01", "_since=soon", "_type=Nope", "_type=", "_count=-1", "_count=many",
    "foo=bar", "_cursor=garbage", "start=2020&start=2021", "start=2020-02-01&end=2020-01-01",
])
def test_bad_parameters_are_400(client, query):
    patient = client.create({"resourceType": "Patient"})
    response = client.get(f"Patient/{patient['id']}/$everything?{query}")
    assert response.status_code == 400, (query, response.get_json())
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_unknown_patient_404_and_wrong_type(client):
    assert client.get("Patient/nobody/$everything").status_code == 404
    assert client.get("Observation/x/$everything").status_code == 404


def test_post_with_parameters(client):
    patient = client.create({"resourceType": "Patient"})
    body = {"resourceType": "Parameters", "parameter": [{"name": "_type", "valueString": "Patient"}]}
    bundle = client.post(f"Patient/{patient['id']}/$everything", body).get_json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [patient["id"]]


def test_query_uses_the_compartment_index(synthea):
    from fhir_server.operations import compartment_query as cq
    from fhir_server.operations.everything import build_query
    from fhir_server.operations.params import Params

    ctx = synthea.app.extensions["fhir_context"]
    patient_id = synthea.patients[sorted(synthea.patients)[0]]
    params = Params("$everything", {"start": ["2015"], "_type": ["Observation,Encounter"]})
    query = build_query(ctx, patient_id, params)
    plan = ctx.store.store.resources.find(query).explain()
    assert cq.INDEX in str(plan["queryPlanner"]["winningPlan"])
    plain = ctx.store.store.resources.find(cq.compartment_filter(ctx, patient_id)).explain()
    assert cq.INDEX in str(plain["queryPlanner"]["winningPlan"])
