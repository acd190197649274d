"""``$validate`` at type and instance level, with ``profile`` and ``mode``."""

from __future__ import annotations

import pytest

from tests.profiles.instances import P, valid

OK = "information"


def _severities(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    return [i["severity"] for i in outcome["issue"]]


def test_valid_resource(client):
    assert _severities(client.post("Patient/$validate", valid("emc-patient"))) == [OK]


def test_claimed_profile_is_checked_and_nothing_is_stored(client):
    patient = valid("emc-patient")
    del patient["name"]
    response = client.post("Patient/$validate", patient)
    assert _severities(response) == ["error"]
    assert response.get_json()["issue"][0]["expression"] == ["Patient.name"]
    assert client.get("Patient").get_json()["total"] == 0


def test_profile_parameter_in_parameters_body(client):
    patient = valid("emc-patient")
    del patient["meta"]
    del patient["gender"]
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "resource", "resource": patient}, {"name": "profile", "valueUri": P + "emc-patient"}]}
    response = client.post("Patient/$validate", body)
    assert _severities(response) == ["error"]
    assert response.get_json()["issue"][0]["expression"] == ["Patient.gender"]
    assert _severities(client.post("Patient/$validate", patient)) == [OK], "no profile claimed, none given"


def test_profile_in_the_query_and_base_profile(client):
    patient = {"resourceType": "Patient"}
    assert _severities(client.post(f"Patient/$validate?profile={P}emc-patient", patient)).count("error") == 5
    base = "http://hl7.org/fhir/StructureDefinition/Patient"
    assert _severities(client.post(f"Patient/$validate?profile={base}", patient)) == [OK]


def test_structure_errors_are_reported_not_raised(client):
    response = client.post("Patient/$validate", {"resourceType": "Patient", "gender": "robot", "foo": 1})
    assert _severities(response) == ["error", "error"]


def _nested_extension(depth: int) -> dict:
    value: dict = {"url": "http://x", "valueString": "v"}
    for _ in range(depth):
        value = {"url": "http://x", "extension": [value]}
    return value


@pytest.mark.parametrize("resource", [
    {"resourceType": "Patient", "extension": [_nested_extension(55)]},  # deeper than a create accepts
    {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
     "valueInteger": 18446744073709551615},  # beyond 64 bits: MongoDB could not store it
], ids=["too-deep", "beyond-64-bits"])
def test_validate_calls_invalid_what_a_create_refuses(client, resource):
    rtype = resource["resourceType"]
    assert client.post(rtype, resource).status_code == 400
    response = client.post(f"{rtype}/$validate", resource)
    assert _severities(response) == ["error"]
    assert response.get_json()["issue"][0]["code"] == "structure"


def test_instance_level(client):
    created = client.create({"resourceType": "Patient", "name": [{"family": "Сидоров"}]})
    assert _severities(client.get(f"Patient/{created['id']}/$validate")) == [OK]
    with_profile = client.get(f"Patient/{created['id']}/$validate?profile={P}emc-patient")
    assert "error" in _severities(with_profile)
    assert _severities(client.get(f"Patient/{created['id']}/$validate?mode=delete")) == [OK]
    update = {**created, "id": "other"}
    response = client.post(f"Patient/{created['id']}/$validate?mode=update", update)
    assert _severities(response) == ["error"]
    assert client.get("Patient/nobody/$validate").status_code == 404


@pytest.mark.parametrize("path,body", [
    ("Patient/$validate?mode=everything", {"resourceType": "Patient"}),
    ("Patient/$validate?mode=delete", {"resourceType": "Patient"}),
    (f"Patient/$validate?profile={P}emc-nothing", {"resourceType": "Patient"}),
    (f"Patient/$validate?profile={P}emc-encounter", {"resourceType": "Patient"}),
    ("Patient/$validate?foo=1", {"resourceType": "Patient"}),
    ("Patient/$validate", {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}),
    ("Patient/$validate", None),
    ("Patient/$validate", [1, 2]),
])
def test_bad_requests_are_400(client, path, body):
    response = client.post(path, body)
    assert response.status_code == 400, response.get_json()


def test_unknown_type_is_404(client):
    assert client.post("Nothing/$validate", {"resourceType": "Nothing"}).status_code == 404
