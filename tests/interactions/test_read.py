"""read, vread and conditional read (http.html#read, #vread, #cread)."""

from __future__ import annotations

PATIENT = {"resourceType": "Patient", "name": [{"family": "Иванов", "given": ["Пётр"]}], "gender": "male"}


def test_read_returns_stored_resource_with_version_headers(client):
    created = client.create(PATIENT)
    response = client.get(f"Patient/{created['id']}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"][0]["family"] == "Иванов"
    assert body["meta"]["versionId"] == "1"
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.headers["Content-Type"].startswith("application/fhir+json")


def test_read_unknown_id_is_404_outcome(client):
    response = client.get("Patient/does-not-exist")
    assert response.status_code == 404
    assert response.get_json()["resourceType"] == "OperationOutcome"
    assert response.get_json()["issue"][0]["code"] == "not-found"


def test_read_unknown_type_is_404(client):
    response = client.get("Patiente/1")
    assert response.status_code == 404
    assert "Patiente" in response.get_json()["issue"][0]["diagnostics"]


def test_read_invalid_id_is_400(client):
    response = client.get("Patient/" + "x" * 65)
    assert response.status_code == 400


def test_if_none_match_gives_304(client):
    created = client.create(PATIENT)
    response = client.get(f"Patient/{created['id']}", headers={"If-None-Match": 'W/"1"'})
    assert response.status_code == 304
    assert response.get_data() == b""
    response = client.get(f"Patient/{created['id']}", headers={"If-None-Match": 'W/"2"'})
    assert response.status_code == 200


def test_if_modified_since(client):
    created = client.create(PATIENT)
    response = client.get(f"Patient/{created['id']}", headers={"If-Modified-Since": "Wed, 01 Jan 2200 00:00:00 GMT"})
    assert response.status_code == 304
    response = client.get(f"Patient/{created['id']}", headers={"If-Modified-Since": "Wed, 01 Jan 2020 00:00:00 GMT"})
    assert response.status_code == 200


def test_vread_each_version(client):
    created = client.create(PATIENT)
    rid = created["id"]
    second = {**created, "gender": "female"}
    assert client.put(f"Patient/{rid}", second).status_code == 200
    first = client.get(f"Patient/{rid}/_history/1")
    assert first.status_code == 200 and first.get_json()["gender"] == "male"
    latest = client.get(f"Patient/{rid}/_history/2")
    assert latest.get_json()["gender"] == "female"
    assert latest.headers["ETag"] == 'W/"2"'
    assert client.get(f"Patient/{rid}/_history/3").status_code == 404
    assert client.get(f"Patient/{rid}/_history/abc").status_code == 404


def test_no_database_fields_leak(client):
    created = client.create(PATIENT)
    body = client.get(f"Patient/{created['id']}").get_json()
    assert set(body) == {"resourceType", "id", "meta", "name", "gender"}
    assert set(body["meta"]) == {"versionId", "lastUpdated"}


def test_head_answers_like_get_without_body(client):
    created = client.create(PATIENT)
    response = client.request("HEAD", f"Patient/{created['id']}")
    assert response.status_code == 200
    assert response.headers["ETag"] == 'W/"1"'
    assert response.get_data() == b""
    assert client.request("HEAD", "Patient/missing").status_code == 404
