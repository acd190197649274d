"""create and conditional create (http.html#create, #ccreate)."""

from __future__ import annotations

OBS = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
    "identifier": [{"system": "urn:emc:lab", "value": "L-1"}],
}


def test_create_assigns_id_and_location(client):
    response = client.post("Observation", {**OBS, "id": "client-chosen"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] != "client-chosen"
    assert response.headers["Location"].endswith(f"/Observation/{body['id']}/_history/1")
    assert response.headers["ETag"] == 'W/"1"'
    assert body["meta"]["lastUpdated"].endswith("Z")


def test_prefer_minimal_and_outcome(client):
    minimal = client.post("Observation", OBS, headers={"Prefer": "return=minimal"})
    assert minimal.status_code == 201 and minimal.get_data() == b""
    assert "Location" in minimal.headers
    outcome = client.post("Observation", OBS, headers={"Prefer": "return=OperationOutcome"})
    assert outcome.status_code == 201
    assert outcome.get_json()["resourceType"] == "OperationOutcome"


def test_create_wrong_type_in_body_is_400(client):
    response = client.post("Patient", OBS)
    assert response.status_code == 400
    assert response.get_json()["issue"][0]["expression"] == ["resourceType"]


def test_create_invalid_resource_is_400_with_expression(client, store):
    response = client.post("Observation", {**OBS, "status": "bogus"})
    assert response.status_code == 400
    issues = response.get_json()["issue"]
    assert any("Observation.status" in e for i in issues for e in i.get("expression", []))
    assert store.resources.count_documents({}) == 0
    assert store.history.count_documents({}) == 0


def test_conditional_create(client, store):
    headers = {"If-None-Exist": "identifier=urn:emc:lab|L-1"}
    first = client.post("Observation", OBS, headers=headers)
    assert first.status_code == 201
    second = client.post("Observation", OBS, headers=headers)
    assert second.status_code == 200
    assert second.get_json()["id"] == first.get_json()["id"]
    assert store.resources.count_documents({"t": "Observation"}) == 1
    client.post("Observation", OBS)  # a second one without the condition
    third = client.post("Observation", OBS, headers=headers)
    assert third.status_code == 412


def test_cyrillic_round_trip(client):
    patient = {"resourceType": "Patient", "name": [{"text": "Мария Сергеевна Кузнецова"}],
               "address": [{"city": "Москва", "line": ["ул. Тверская, д. 1"]}]}
    created = client.create(patient)
    raw = client.get(f"Patient/{created['id']}").get_data()
    assert "Мария Сергеевна Кузнецова".encode() in raw
    assert "Москва".encode() in raw
