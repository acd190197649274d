"""update, update-as-create, If-Match and conditional update (http.html#update, #concurrency)."""

from __future__ import annotations

import threading

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "male"}


def test_update_as_create_then_update(client):
    created = client.put("Patient/p1", PATIENT)
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/Patient/p1/_history/1")
    updated = client.put("Patient/p1", {**PATIENT, "gender": "female"})
    assert updated.status_code == 200
    assert updated.get_json()["meta"]["versionId"] == "2"
    assert updated.headers["ETag"] == 'W/"2"'


def test_id_mismatch_and_missing_id_are_400(client):
    assert client.put("Patient/p1", {**PATIENT, "id": "p2"}).status_code == 400
    assert client.put("Patient/p1", {"resourceType": "Patient"}).status_code == 400


def test_if_match(client):
    client.put("Patient/p1", PATIENT)
    stale = client.put("Patient/p1", PATIENT, headers={"If-Match": 'W/"7"'})
    assert stale.status_code == 412
    assert stale.get_json()["resourceType"] == "OperationOutcome"
    ok = client.put("Patient/p1", PATIENT, headers={"If-Match": 'W/"1"'})
    assert ok.status_code == 200
    assert client.put("Patient/p1", PATIENT, headers={"If-Match": "garbage"}).status_code == 400


def test_if_match_any_version(client):
    """``If-Match: *`` (RFC 9110 section 13.1.1): any current version, none is 412."""
    absent = client.put("Patient/p1", PATIENT, headers={"If-Match": "*"})
    assert absent.status_code == 412
    assert client.get("Patient/p1").status_code == 404
    client.put("Patient/p1", PATIENT)
    updated = client.put("Patient/p1", {**PATIENT, "gender": "female"}, headers={"If-Match": "*"})
    assert updated.status_code == 200 and updated.headers["ETag"] == 'W/"2"'
    client.delete("Patient/p1")
    assert client.put("Patient/p1", PATIENT, headers={"If-Match": "*"}).status_code == 412


def test_concurrent_updates_with_same_if_match_exactly_one_wins(app, client):
    client.put("Patient/p1", PATIENT)
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def attempt(n: int) -> None:
        local = app.test_client()
        barrier.wait()
        response = local.put("/fhir/Patient/p1", json={**PATIENT, "gender": "other", "birthDate": f"200{n}"},
                             headers={"If-Match": 'W/"1"', "Content-Type": "application/fhir+json"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [412] * 7
    history = client.get("Patient/p1/_history").get_json()
    assert history["total"] == 2


def test_concurrent_updates_without_if_match_lose_nothing(app, client):
    client.put("Patient/p1", PATIENT)
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def attempt(n: int) -> None:
        barrier.wait()
        response = app.test_client().put("/fhir/Patient/p1", json={**PATIENT, "birthDate": f"201{n}"},
                                         headers={"Content-Type": "application/fhir+json"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 6
    history = client.get("Patient/p1/_history").get_json()
    assert history["total"] == 7
    versions = sorted(int(e["resource"]["meta"]["versionId"]) for e in history["entry"])
    assert versions == list(range(1, 8))


def test_conditional_update(client, store):
    ident = {"identifier": [{"system": "urn:emc:mhi", "value": "7700000000000001"}]}
    created = client.put("Patient?identifier=urn:emc:mhi|7700000000000001", {"resourceType": "Patient", **ident})
    assert created.status_code == 201
    rid = created.get_json()["id"]
    updated = client.put("Patient?identifier=urn:emc:mhi|7700000000000001",
                         {"resourceType": "Patient", "gender": "female", **ident})
    assert updated.status_code == 200 and updated.get_json()["id"] == rid
    client.post("Patient", {"resourceType": "Patient", **ident})
    several = client.put("Patient?identifier=urn:emc:mhi|7700000000000001", {"resourceType": "Patient", **ident})
    assert several.status_code == 412


def test_invalid_update_stores_nothing(client, store):
    client.put("Patient/p1", PATIENT)
    response = client.put("Patient/p1", {**PATIENT, "gender": "unknown-gender"})
    assert response.status_code == 400
    assert client.get("Patient/p1/_history").get_json()["total"] == 1
    assert store.history.count_documents({}) == 0
    assert client.get("Patient/p1").get_json()["gender"] == "male"
