"""Writes stay within a token's reach: the write scope over the stored resource, the patient context,
and the facts that decide reach, which no user's token may write for itself.

Each test states the rule it guards; the fixes live in the access policy (``access.policy``).
"""

from __future__ import annotations

from tests.auth.helpers import LAB, load, observation


def test_update_and_delete_need_the_write_scope_over_the_stored_resource(smart):
    """check_write tested only the new body (update) or the type (delete): a token allowed to write
    laboratory Observations could overwrite or delete any Observation it could read."""
    token = smart.token("doc", client_id="secret-app",
                        scope=f"user/Observation.rs user/Observation.cud?category={LAB}")["access_token"]
    store = smart.service.resources
    relabelled = {**observation("vit-p1", "p1", LAB, 1.0)}
    assert smart.fhir("PUT", "Observation/vit-p1", token, relabelled).status_code == 403
    assert smart.fhir("PATCH", "Observation/vit-p1", token, [{"op": "replace", "path": "/status",
                      "value": "amended"}], headers={"Content-Type": "application/json-patch+json"}).status_code == 403
    assert smart.fhir("DELETE", "Observation/vit-p1", token).status_code == 403
    assert smart.fhir("DELETE", "Observation?_id=vit-p1", token).status_code == 403
    outcome = smart.fhir("GET", "Observation/vit-p1/$validate?mode=delete", token).get_json()
    assert outcome["issue"][0]["code"] == "forbidden"
    assert store.current("Observation", "vit-p1")["vid"] == 1
    # within the write scope, both still work
    assert smart.fhir("PUT", "Observation/lab-p1", token, observation("lab-p1", "p1", LAB, 2.0)).status_code == 200
    assert smart.fhir("DELETE", "Observation/lab-p1", token).status_code == 200


def test_patient_context_write_scope_does_not_reach_other_patients_in_care(smart):
    """A clinician's patient/ write scope is for the launch patient only, even for resources the
    user/ read scope shows."""
    token = smart.token("doc", client_id="secret-app", scope="launch/patient patient/Observation.cruds "
                        "user/Observation.rs", consent={"patient_lookup": "p1"})
    assert token["patient"] == "p1"
    access = token["access_token"]
    assert smart.fhir("GET", "Observation/lab-p2", access).status_code == 200
    assert smart.fhir("DELETE", "Observation/lab-p2", access).status_code == 403
    assert smart.service.resources.current("Observation", "lab-p2").get("del") is None


def test_a_clinician_cannot_write_the_facts_that_decide_their_own_reach(smart):
    """PractitionerRole is in no compartment, so a clinician's user/*.cruds token could create one
    naming themselves at any clinic and so bring every patient of that clinic into their care."""
    from tests.auth.helpers import patient

    load(smart.service.resources, [{"resourceType": "Organization", "id": "org2", "name": "Поликлиника №2"},
                                   patient("p3", "Sidorov", "1990-03-03",
                                           managingOrganization={"reference": "Organization/org2"})])
    token = smart.token("doc", client_id="secret-app", scope="user/*.cruds")["access_token"]
    assert smart.fhir("GET", "Patient/p3", token).status_code == 404
    role = {"resourceType": "PractitionerRole", "active": True, "practitioner": {"reference": "Practitioner/doc"},
            "organization": {"reference": "Organization/org2"}}
    assert smart.fhir("POST", "PractitionerRole", token, role).status_code == 403
    assert smart.fhir("PUT", "PractitionerRole/role1", token, {**role, "id": "role1"}).status_code == 403
    assert smart.fhir("GET", "Patient/p3", token).status_code == 404
