"""Reach nobody widens from inside: care facts, indirect compartments, writes into other cards.

The world (tests/auth/helpers.py): the clinician ``doc`` cares for p1 (his clinic manages her) and
p2 (an encounter names him); p3 is nobody's patient of his. ``anna`` is p1, ``olga`` the guardian
of c1 (8) and of c2 (16, no longer reached).
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.access.policy import care_patients
from tests.auth.helpers import LAB, ids, load, observation

DOC_SCOPE = "user/*.cruds openid fhirUser"


def _doc(smart) -> str:
    return smart.token("doc", client_id="secret-app", scope=DOC_SCOPE)["access_token"]


def _stored(smart, rtype: str, **query: Any) -> list[dict[str, Any]]:
    return list(smart.service.resources.store.resources.find({"t": rtype, **query}))


# -- 1. a clinician widens their own reach --------------------------------------------------------

def test_a_care_team_naming_another_patient_is_refused_and_grants_nothing(smart):
    token = _doc(smart)
    team = {"resourceType": "CareTeam", "status": "active", "subject": {"reference": "Patient/p1"},
            "participant": [{"member": {"reference": "Practitioner/doc"}}, {"member": {"reference": "Patient/p3"}}]}
    before = len(_stored(smart, "CareTeam"))
    assert smart.fhir("POST", "CareTeam", token, team).status_code == 403
    assert len(_stored(smart, "CareTeam")) == before  # nothing stored
    assert smart.fhir("GET", "Patient/p3", token).status_code == 404


def test_care_facts_a_clinician_writes_grant_nothing(smart):
    """An Encounter, EpisodeOfCare or CareTeam written with a user's token is not a fact of care: when
    the clinic's record goes, so does the reach, whatever the clinician wrote meanwhile."""
    token = _doc(smart)
    for body in (
        {"resourceType": "Encounter", "status": "finished", "subject": {"reference": "Patient/p2"},
         "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
         "participant": [{"individual": {"reference": "Practitioner/doc"}}]},
        {"resourceType": "EpisodeOfCare", "status": "active", "patient": {"reference": "Patient/p2"},
         "careManager": {"reference": "Practitioner/doc"}},
        {"resourceType": "CareTeam", "status": "active", "subject": {"reference": "Patient/p2"},
         "participant": [{"member": {"reference": "Practitioner/doc"}}]},
    ):
        assert smart.fhir("POST", body["resourceType"], token, body).status_code == 201
    resources = smart.service.resources
    assert "p2" in care_patients(resources, "doc")
    resources.transaction(lambda s: resources.delete("Encounter", "enc-p2", s))  # the clinic's record goes
    assert "p2" not in care_patients(resources, "doc")
    assert smart.fhir("GET", "Patient/p2", token).status_code == 404


def test_a_care_team_the_registry_records_does_grant_care(smart):
    resources = smart.service.resources
    load(resources, [{"resourceType": "CareTeam", "id": "team-p3", "status": "active",
                      "subject": {"reference": "Patient/p3"},
                      "participant": [{"member": {"reference": "Practitioner/doc"}}]}])
    assert "p3" in care_patients(resources, "doc")
    assert smart.fhir("GET", "Patient/p3", _doc(smart)).status_code == 200


def test_a_care_team_for_a_patient_in_care_does_not_open_that_patient_to_a_colleague(smart):
    resources = smart.service.resources
    load(resources, [{"resourceType": "Practitioner", "id": "colleague", "name": [{"family": "Colleague"}]}])
    team = {"resourceType": "CareTeam", "status": "active", "subject": {"reference": "Patient/p1"},
            "participant": [{"member": {"reference": "Practitioner/colleague"}}]}
    assert smart.fhir("POST", "CareTeam", _doc(smart), team).status_code == 201
    assert "p1" not in care_patients(resources, "colleague")


def test_the_patient_elements_that_decide_reach_are_the_registrys(smart):
    token = _doc(smart)
    p1 = smart.fhir("GET", "Patient/p1", token).get_json()
    moved = {**p1, "generalPractitioner": [{"reference": "Practitioner/colleague"}]}
    assert smart.fhir("PUT", "Patient/p1", token, moved).status_code == 403
    renamed = {**p1, "telecom": [{"system": "phone", "value": "+79990001122"}]}
    assert smart.fhir("PUT", "Patient/p1", token, renamed).status_code == 200
    assert smart.fhir("DELETE", "Patient/p1", token).status_code == 403
    assert smart.fhir("GET", "Patient/p1", token).status_code == 200


def test_a_clinician_cannot_verify_kinship(smart):
    token = _doc(smart)
    rp = smart.fhir("GET", "RelatedPerson/rp1", token)  # c1 is not in care: looks absent
    assert rp.status_code == 404
    link = {"resourceType": "RelatedPerson", "active": True, "patient": {"reference": "Patient/p1"},
            "extension": [{"url": "https://emc.mos.ru/fhir/StructureDefinition/kinship-verified",
                           "valueBoolean": True}]}
    assert smart.fhir("POST", "RelatedPerson", token, link).status_code == 403
    plain = {key: value for key, value in link.items() if key != "extension"}
    assert smart.fhir("POST", "RelatedPerson", token, plain).status_code == 201


@pytest.mark.parametrize("rtype", ["SearchParameter", "ValueSet", "CodeSystem", "StructureDefinition"])
def test_only_system_tokens_write_definitions(smart, rtype):
    bodies = {
        "SearchParameter": {"resourceType": "SearchParameter", "url": "https://example.org/sp", "name": "x",
                            "status": "active", "description": "x", "code": "x", "base": ["Patient"],
                            "type": "token", "expression": "Patient.gender"},
        "ValueSet": {"resourceType": "ValueSet", "status": "active", "url": "https://example.org/vs"},
        "CodeSystem": {"resourceType": "CodeSystem", "status": "active", "content": "complete",
                       "url": "https://example.org/cs"},
        "StructureDefinition": {"resourceType": "StructureDefinition", "url": "https://example.org/sd", "name": "X",
                                "status": "active", "kind": "resource", "abstract": False, "type": "Patient",
                                "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
                                "derivation": "constraint"},
    }
    assert smart.fhir("POST", rtype, _doc(smart), bodies[rtype]).status_code == 403
    assert _stored(smart, rtype, **{"res.url": bodies[rtype]["url"]}) == []


# -- 2. documents and provenance follow what they point at -----------------------------------------

def _document_world(smart) -> None:
    load(smart.service.resources, [
        {"resourceType": "DocumentReference", "id": "dr-p3", "status": "current",
         "subject": {"reference": "Patient/p3"}, "content": [{"attachment": {"url": "Binary/bin-p3"}}]},
        {"resourceType": "Binary", "id": "bin-p3", "contentType": "text/plain", "data": "0L/RgNC+0YLQvtC60L7Quw==",
         "securityContext": {"reference": "DocumentReference/dr-p3"}},
        {"resourceType": "Provenance", "id": "prov-p3", "recorded": "2026-01-01T10:00:00Z",
         "target": [{"reference": "Observation/lab-p3"}],
         "agent": [{"who": {"reference": "Practitioner/doc"}}]},
        {"resourceType": "DocumentReference", "id": "dr-p1", "status": "current",
         "subject": {"reference": "Patient/p1"}, "content": [{"attachment": {"url": "Binary/bin-p1"}}]},
        {"resourceType": "Binary", "id": "bin-p1", "contentType": "text/plain", "data": "0L/RgNC+0YLQvtC60L7Quw==",
         "securityContext": {"reference": "DocumentReference/dr-p1"}},
    ])


def test_binary_and_provenance_join_the_compartments_they_point_at(smart):
    _document_world(smart)
    resources = smart.service.resources
    assert resources.current("Binary", "bin-p3")["cmp"] == ["p3"]
    assert resources.current("Provenance", "prov-p3")["cmp"] == ["p3"]


@pytest.mark.parametrize("path", ["Binary/bin-p3", "Provenance/prov-p3"])
def test_documents_of_patients_out_of_reach_look_absent(smart, path):
    _document_world(smart)
    doc = _doc(smart)
    medic = smart.token("medic", scope="user/*.cruds openid fhirUser")["access_token"]
    for token in (doc, medic):
        absent = smart.fhir("GET", path.split("/")[0] + "/no-such-id", token)
        answer = smart.fhir("GET", path, token)
        assert answer.status_code == absent.status_code == 404
        assert answer.get_json()["issue"][0]["code"] == absent.get_json()["issue"][0]["code"]
        assert smart.fhir("GET", f"{path}/_history/1", token).status_code == 404
        assert path not in ids(smart.fhir("GET", path.split("/")[0], token).get_json())
        body = smart.service.resources.current(*path.split("/"))["res"]
        assert smart.fhir("PUT", path, token, body).status_code == 403
        smart.fhir("DELETE", path, token)
        assert not smart.service.resources.current(*path.split("/")).get("del")


def test_reading_a_document_is_audited_in_its_patients_trail(smart):
    _document_world(smart)
    anna = smart.token("anna", scope="launch/patient patient/*.rs")["access_token"]
    assert smart.fhir("GET", "Binary/bin-p1", anna).status_code == 200
    assert smart.fhir("GET", "Binary/bin-p3", anna).status_code == 404
    events = _stored(smart, "AuditEvent", cmp="p1")
    assert any("Binary/bin-p1" in str(e["res"].get("entity")) for e in events)
    assert not _stored(smart, "AuditEvent", cmp="p3")


def test_a_link_follows_its_target_when_the_target_moves(smart):
    _document_world(smart)
    resources = smart.service.resources
    moved = {**resources.current("DocumentReference", "dr-p3")["res"], "subject": {"reference": "Patient/p2"}}
    load(resources, [moved])
    assert resources.current("Binary", "bin-p3")["cmp"] == ["p2"]
    assert smart.fhir("GET", "Binary/bin-p3", _doc(smart)).status_code == 200  # p2 is in his care


def test_a_link_written_before_its_target_follows_it_once_it_exists(smart):
    resources = smart.service.resources
    load(resources, [{"resourceType": "Binary", "id": "early", "contentType": "text/plain",
                      "securityContext": {"reference": "DocumentReference/later"}}])
    assert resources.current("Binary", "early")["cmp"] == []
    load(resources, [{"resourceType": "DocumentReference", "id": "later", "status": "current",
                      "subject": {"reference": "Patient/p3"}, "content": [{"attachment": {"url": "Binary/early"}}]}])
    assert resources.current("Binary", "early")["cmp"] == ["p3"]


def test_a_clinician_cannot_point_a_document_at_a_card_out_of_reach(smart):
    _document_world(smart)
    token = _doc(smart)
    out_of_reach = {"resourceType": "Binary", "contentType": "text/plain",
                    "securityContext": {"reference": "DocumentReference/dr-p3"}}
    absent = {**out_of_reach, "securityContext": {"reference": "DocumentReference/no-such-document"}}
    refused = smart.fhir("POST", "Binary", token, out_of_reach)
    also = smart.fhir("POST", "Binary", token, absent)
    assert refused.status_code == also.status_code == 403
    assert refused.get_json() == also.get_json()  # existence does not show
    own = {**out_of_reach, "securityContext": {"reference": "DocumentReference/dr-p1"}}
    assert smart.fhir("POST", "Binary", token, own).status_code == 201


def test_a_transaction_may_record_the_provenance_of_what_it_creates(smart):
    token = _doc(smart)
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:7f3b6a1e-0000-4000-8000-000000000001",
         "resource": observation("x", "p1", LAB, 14.0) | {"id": None},
         "request": {"method": "POST", "url": "Observation"}},
        {"resource": {"resourceType": "Provenance", "recorded": "2026-01-01T10:00:00Z",
                      "target": [{"reference": "urn:uuid:7f3b6a1e-0000-4000-8000-000000000001"}],
                      "agent": [{"who": {"reference": "Practitioner/doc"}}]},
         "request": {"method": "POST", "url": "Provenance"}},
    ]}
    del bundle["entry"][0]["resource"]["id"]
    answer = smart.fhir("POST", "", token, bundle)
    assert answer.status_code == 200, answer.get_json()
    location = answer.get_json()["entry"][1]["response"]["location"]
    provenance_id = location.split("Provenance/")[1].split("/")[0]
    assert smart.service.resources.current("Provenance", provenance_id)["cmp"] == ["p1"]


# -- 3. patients and guardians write into their own card only --------------------------------------

def _diary(pid: str, *performers: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"text": "Самочувствие"}, "valueString": "хорошо",
            "subject": {"reference": f"Patient/{pid}"},
            "performer": [{"reference": f"Patient/{p}"} for p in performers]}


def test_a_patient_cannot_write_into_another_card_through_a_performer(smart):
    anna = smart.token("anna", scope="launch/patient patient/*.cruds")["access_token"]
    before = len(_stored(smart, "Observation", cmp="p3"))
    assert smart.fhir("POST", "Observation", anna, _diary("p1", "p1", "p3")).status_code == 403
    assert len(_stored(smart, "Observation", cmp="p3")) == before
    assert not _stored(smart, "AuditEvent", cmp="p3")
    assert smart.fhir("POST", "Observation", anna, _diary("p1", "p1")).status_code == 201


def test_a_guardian_cannot_write_into_the_teenagers_card(smart):
    olga = smart.token("olga", scope="launch/patient patient/*.cruds", consent={"patient": "c1"})["access_token"]
    before = len(_stored(smart, "Observation", cmp="c2"))
    assert smart.fhir("POST", "Observation", olga, _diary("c1", "c1", "c2")).status_code == 403
    assert len(_stored(smart, "Observation", cmp="c2")) == before
    assert smart.fhir("POST", "Observation", olga, _diary("c1", "c1")).status_code == 201


# -- 6. a patient account needs a Patient of 15 or more with an MHI policy, every day -------------

def test_a_patient_account_stops_when_its_patient_stops_qualifying(smart):
    token = smart.token("boris", scope="launch/patient patient/*.rs")["access_token"]
    assert smart.fhir("GET", "Patient/p2", token).status_code == 200
    resources = smart.service.resources
    p2 = dict(resources.current("Patient", "p2")["res"])
    p2.pop("identifier")
    load(resources, [p2])
    assert smart.fhir("GET", "Patient/p2", token).status_code == 404
    assert smart.fhir("GET", "Observation", token).get_json().get("total", 0) == 0
