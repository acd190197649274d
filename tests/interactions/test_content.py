"""Content negotiation and error shapes (http.html#mime-type, #parameters)."""

from __future__ import annotations

import pytest

PATIENT = {"resourceType": "Patient", "gender": "male"}


def test_malformed_json_is_400(client):
    response = client.post("Patient", raw=b'{"resourceType": "Patient",')
    assert response.status_code == 400
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_xml_body_is_415(client):
    response = client.post("Patient", raw=b"<Patient xmlns='http://hl7.org/fhir'/>", content_type="application/fhir+xml")
    assert response.status_code == 415


def test_application_json_accepted_and_echoed(client):
    response = client.post("Patient", PATIENT, content_type="application/json", headers={"Accept": "application/json"})
    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("application/json")


def test_format_and_pretty(client):
    created = client.create(PATIENT)
    pretty = client.get(f"Patient/{created['id']}?_format=json&_pretty=true")
    assert pretty.status_code == 200
    assert b"\n  " in pretty.get_data()
    assert client.get(f"Patient/{created['id']}?_format=xml").status_code == 406
    assert client.get(f"Patient/{created['id']}", headers={"Accept": "application/fhir+xml"}).status_code == 406


def test_oversize_body_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("Patient", {**PATIENT, "name": [{"text": "x" * 5000}]})
    assert response.status_code == 413
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_unknown_type_is_404(client):
    assert client.post("Nonsense", {"resourceType": "Nonsense"}).status_code == 404
    assert client.get("Nonsense").status_code == 404


@pytest.mark.parametrize("method", ["DELETE", "PATCH"])
def test_method_not_allowed_on_base(client, method):
    response = client.request(method, "metadata")
    assert response.status_code == 405
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_non_object_body_is_400(client):
    assert client.post("Patient", [1, 2]).status_code == 400
