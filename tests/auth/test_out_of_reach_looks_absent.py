"""Security review: ways a token could see, infer or write outside its reach (one test per finding).

Each test states the rule it guards; the fixes live in the access policy (``access_policy``) or the
shared mechanism it relies on (compartment computation, history), not in the interaction.
"""

from __future__ import annotations

from typing import Any

from tests.auth.helpers import LAB, VITALS, load, observation
from tests.auth.test_backend_services import _register, _token, assertion

TOKEN_SCOPE = "system/*.cruds"


def _same(a: Any, b: Any, hidden: str, absent: str) -> None:
    assert a.status_code == b.status_code, (a.status_code, b.status_code, a.get_data(as_text=True))
    assert a.get_data(as_text=True).replace(hidden, "X") == b.get_data(as_text=True).replace(absent, "X")


def backend_token(smart, scope: str, client_id: str = "review-backend") -> str:
    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-384", private=True, auto_kid=True)
    _register(smart, client_id, key, scope=TOKEN_SCOPE)
    response = _token(smart, assertion(client_id, key, "ES384"), scope=scope)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]  # type: ignore[no-any-return]


def _entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in bundle.get("entry", []) if e.get("search", {}).get("mode", "match") == "match"]


# -- (a) existence and counts ---------------------------------------------------------------------

def test_history_of_a_deleted_resource_out_of_reach_looks_absent(smart):
    """Instance history skipped the policy for a deleted resource: 200 (empty Bundle) instead of 404."""
    smart.service.resources.transaction(lambda s: smart.service.resources.delete("Observation", "vit-p2", s))
    token = smart.token("anna")["access_token"]
    _same(smart.fhir("GET", "Observation/vit-p2/_history", token),
          smart.fhir("GET", "Observation/nope/_history", token), "vit-p2", "nope")
    assert smart.fhir("GET", "Observation/nope/_history", token).status_code == 404


def test_search_total_counts_only_what_the_token_may_read(smart):
    """search_filter used the 's' scopes and visible() the 'r' scopes: Bundle.total (and _summary=count,
    $everything's total) counted resources the token cannot read."""
    token = smart.token("anna", scope=f"launch/patient patient/Observation.s patient/Observation.r?category={LAB}")
    access = token["access_token"]
    bundle = smart.fhir("GET", "Observation", access).get_json()
    assert bundle["total"] == len(_entries(bundle)) == 1
    assert smart.fhir("GET", "Observation?_summary=count", access).get_json()["total"] == 1
    assert smart.fhir("GET", "Observation?category=" + VITALS.replace("|", "%7C") + "&_summary=count",
                      access).get_json()["total"] == 0


def test_system_history_total_counts_only_readable_types(smart):
    """A backend token's system history reported a total over every type in the server, and paged
    through versions it could not see."""
    access = backend_token(smart, "system/Observation.rs")
    bundle = smart.fhir("GET", "_history?_count=1000", access).get_json()
    assert {e["fullUrl"].split("/")[-2] for e in bundle.get("entry", [])} == {"Observation"}
    assert bundle.get("total", len(bundle["entry"])) == len(bundle["entry"])
    patients = smart.fhir("GET", "Patient/_history?_count=1", access).get_json()
    assert "entry" not in patients and [link["relation"] for link in patients["link"]] == ["self"]


def test_backend_put_does_not_tell_an_out_of_reach_id_from_an_absent_one(smart):
    """A backend token restricted to laboratory Observations got 403 on PUT to an existing vital-signs
    Observation but 201 on PUT to an absent id: an existence oracle over the resources it may not read."""
    access = backend_token(smart, f"system/Observation.cruds?category={LAB}")
    body = observation("x", "p1", LAB, 1.0)
    hidden = smart.fhir("PUT", "Observation/vit-p1", access, {**body, "id": "vit-p1"})
    absent = smart.fhir("PUT", "Observation/nope", access, {**body, "id": "nope"})
    _same(hidden, absent, "vit-p1", "nope")
    assert smart.service.resources.current("Observation", "vit-p1")["vid"] == 1
    assert smart.service.resources.current("Observation", "nope") is None


# -- (b) writes -----------------------------------------------------------------------------------

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


# -- (c) paths around the compartment -------------------------------------------------------------

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
    _same(smart.fhir("GET", f"Bundle/{bundle_id}", medic), smart.fhir("GET", "Bundle/nope", medic), bundle_id, "nope")
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
    _same(smart.fhir("GET", "Task/task-p3", medic), smart.fhir("GET", "Task/nope", medic), "task-p3", "nope")
    doc = smart.token("doc", client_id="secret-app", scope="user/*.rs")["access_token"]  # p3 not in care
    assert smart.fhir("GET", "Task/task-p3", doc).status_code == 404


def test_binary_with_a_patient_security_context_stays_in_that_card(smart):
    load(smart.service.resources, [{"resourceType": "Binary", "id": "scan-p3", "contentType": "text/plain",
                                    "securityContext": {"reference": "Patient/p3"}, "data": "0J/RgNC+0YLQvtC60L7Quw=="}])
    medic = smart.token("medic", scope="user/*.rs openid fhirUser")["access_token"]
    assert smart.fhir("GET", "Binary/scan-p3", medic).status_code == 404
    assert smart.service.resources.store.resources.find_one({"_id": "Binary/scan-p3"})["cmp"] == ["p3"]


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


def test_owner_sees_the_deletion_in_their_history_and_others_do_not(smart):
    """A deletion record stays in the compartment of what it deleted: its owner's history shows it,
    and to anyone else it looks absent like the resource did."""
    smart.service.resources.transaction(lambda s: smart.service.resources.delete("Observation", "vit-p1", s))
    owner = smart.token("anna")["access_token"]
    history = smart.fhir("GET", "Observation/vit-p1/_history", owner)
    assert history.status_code == 200
    assert [e["request"]["method"] for e in history.get_json()["entry"]][0] == "DELETE"
    assert smart.fhir("GET", "Observation/vit-p1", owner).status_code == 410
    type_history = smart.fhir("GET", "Observation/_history", owner).get_json()
    assert any(e["request"]["method"] == "DELETE" and e["request"]["url"] == "Observation/vit-p1"
               for e in type_history.get("entry", []))
    other = smart.token("boris")["access_token"]
    assert smart.fhir("GET", "Observation/vit-p1/_history", other).status_code == 404
    assert smart.fhir("GET", "Observation/vit-p1", other).status_code == 404
