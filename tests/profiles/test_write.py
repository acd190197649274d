"""Writes that claim an EMC profile are validated against it (422 listing every issue); the
conformance resources are readable and listed in /metadata."""

from __future__ import annotations

from fhir_server.profiles.registry import emc_registry
from tests.profiles.instances import P, valid


def test_create_conforming_resource(client):
    response = client.post("Patient", valid("emc-patient"))
    assert response.status_code == 201, response.get_json()


def test_create_breaking_its_profile_is_422_with_every_issue(client):
    patient = valid("emc-patient")
    del patient["birthDate"]
    patient["identifier"][0]["value"] = "123"
    response = client.post("Patient", patient)
    assert response.status_code == 422
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    found = {(i["code"], i["expression"][0]) for i in outcome["issue"]}
    assert found == {("required", "Patient.birthDate"), ("invariant", "Patient")}
    assert all(i["severity"] == "error" for i in outcome["issue"])
    assert client.get("Patient").get_json()["total"] == 0, "nothing stored"


def test_update_and_transaction_entries_are_validated_too(client):
    encounter = valid("emc-encounter")
    encounter["id"] = "e1"
    del encounter["period"]["end"]
    assert client.put("Encounter/e1", encounter).status_code == 422
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": encounter, "request": {"method": "POST", "url": "Encounter"}}]}
    response = client.post("", bundle)
    assert response.status_code == 422, response.get_json()


def test_structure_errors_stay_400(client):
    patient = valid("emc-patient")
    patient["gender"] = 7
    assert client.post("Patient", patient).status_code == 400


def test_unknown_emc_profile_is_422(client):
    patient = valid("emc-patient")
    patient["meta"]["profile"] = [P + "emc-nothing"]
    response = client.post("Patient", patient)
    assert response.status_code == 422
    assert response.get_json()["issue"][0]["code"] == "not-supported"


def test_other_profiles_are_not_enforced(client):
    patient = {"resourceType": "Patient", "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]}}
    assert client.post("Patient", patient).status_code == 201


def test_every_conformance_resource_is_readable(client):
    for (rtype, rid), resource in emc_registry().by_key.items():
        response = client.get(f"{rtype}/{rid}")
        assert response.status_code == 200, (rtype, rid)
        assert response.get_json() == resource


def test_operation_definitions_are_readable_and_declared(client):
    statement = client.get("metadata").get_json()
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    declared = {(t, op["name"]): op["definition"] for t, r in resources.items() for op in r.get("operation", [])}
    for rtype, name in [("Patient", "everything"), ("Patient", "summary"), ("Composition", "document"),
                        ("Observation", "lastn"), ("Observation", "validate"), ("Patient", "validate")]:
        url = declared[(rtype, name)]
        definition = client.get("OperationDefinition/" + url.rsplit("/", 1)[1]).get_json()
        assert definition["resourceType"] == "OperationDefinition"
        assert definition["url"] == url and definition["code"] == name


def test_supported_profiles_in_metadata(client):
    statement = client.get("metadata").get_json()
    supported = {p for r in statement["rest"][0]["resource"] for p in r.get("supportedProfile", [])}
    assert P + "emc-patient" in supported and P + "emc-discharge-summary" in supported
    assert P + "kinship-verified" not in supported  # an extension, not a resource profile


def test_packaged_resources_do_not_hide_stored_ones(client):
    created = client.create({"resourceType": "ValueSet", "status": "draft"})
    assert client.get(f"ValueSet/{created['id']}").status_code == 200
    assert client.get("ValueSet/no-such-value-set").status_code == 404
