"""A resource stays in the cards it belongs to: compartments computed at write time, also for resources
that reach a patient indirectly (Bundle, types outside the CompartmentDefinition, Binary.securityContext).

Each test states the rule it guards; the fixes live in the compartment computation
(``storage.linked_compartments``) and the access policy (``access.policy``).
"""

from __future__ import annotations

from tests.auth.helpers import LAB, load, observation, same_answer

COMPOSITION = {
    "resourceType": "Composition", "id": "comp-p1", "status": "final",
    "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5"}]},
    "subject": {"reference": "Patient/p1"}, "date": "2024-01-01", "author": [{"reference": "Practitioner/doc"}],
    "title": "Выписной эпикриз",
    "section": [{"title": "Результаты", "entry": [{"reference": "Observation/lab-p1"}]}],
}


def test_persisted_document_stays_in_the_patient_compartment(smart):
    """$document?persist=true stored the document as a Bundle in no compartment: every clinician
    and every ambulance token (which reach resources in no compartment) could read the card in it."""
    load(smart.service.resources, [COMPOSITION])
    doc = smart.token("doc", client_id="secret-app", scope="user/*.cruds")["access_token"]
    stored = smart.fhir("POST", "Composition/comp-p1/$document?persist=true", doc)
    assert stored.status_code == 200, stored.get_data(as_text=True)
    bundle_id = stored.get_json()["id"]
    medic = smart.token("medic", scope="user/*.rs openid fhirUser")["access_token"]
    same_answer(smart.fhir("GET", f"Bundle/{bundle_id}", medic), smart.fhir("GET", "Bundle/nope", medic), bundle_id, "nope")
    assert "entry" not in smart.fhir("GET", "Bundle", medic).get_json()
    anna = smart.token("anna", scope="launch/patient patient/*.rs")["access_token"]
    assert smart.fhir("GET", f"Bundle/{bundle_id}", anna).status_code == 200  # her own card


def test_a_bundle_holding_two_patients_is_seen_only_by_who_reaches_both(smart):
    load(smart.service.resources, [{"resourceType": "Bundle", "id": "two", "type": "collection", "entry": [
        {"fullUrl": "http://localhost/fhir/Observation/lab-p1", "resource": observation("lab-p1", "p1", LAB, 1.0)},
        {"fullUrl": "http://localhost/fhir/Observation/lab-p2", "resource": observation("lab-p2", "p2", LAB, 1.0)},
    ]}])
    anna = smart.token("anna", scope="launch/patient patient/*.rs")["access_token"]
    assert smart.fhir("GET", "Bundle/two", anna).status_code == 404
    assert "entry" not in smart.fhir("GET", "Bundle", anna).get_json()
    doc = smart.token("doc", client_id="secret-app", scope="user/*.rs")["access_token"]  # cares for p1 and p2
    assert smart.fhir("GET", "Bundle/two", doc).status_code == 200


def test_patient_data_in_types_outside_the_compartment_definition(smart):
    """R4's CompartmentDefinition leaves Task (and Device, Contract, GuidanceResponse) out of the
    patient compartment although they carry a ``patient`` reference: such a Task about p3 was
    'directory data' to every clinician and ambulance token."""
    load(smart.service.resources, [{"resourceType": "Task", "id": "task-p3", "status": "requested",
                                    "intent": "order", "for": {"reference": "Patient/p3"},
                                    "description": "Направление к онкологу"}])
    medic = smart.token("medic", scope="user/*.rs openid fhirUser")["access_token"]
    same_answer(smart.fhir("GET", "Task/task-p3", medic), smart.fhir("GET", "Task/nope", medic), "task-p3", "nope")
    doc = smart.token("doc", client_id="secret-app", scope="user/*.rs")["access_token"]  # p3 not in care
    assert smart.fhir("GET", "Task/task-p3", doc).status_code == 404


def test_binary_with_a_patient_security_context_stays_in_that_card(smart):
    load(smart.service.resources, [{"resourceType": "Binary", "id": "scan-p3", "contentType": "text/plain",
                                    "securityContext": {"reference": "Patient/p3"}, "data": "0J/RgNC+0YLQvtC60L7Quw=="}])
    medic = smart.token("medic", scope="user/*.rs openid fhirUser")["access_token"]
    assert smart.fhir("GET", "Binary/scan-p3", medic).status_code == 404
    assert smart.service.resources.store.resources.find_one({"_id": "Binary/scan-p3"})["cmp"] == ["p3"]
