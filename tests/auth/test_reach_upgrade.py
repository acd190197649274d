"""Reach after an upgrade and through every write path: versions and deletions stored before
compartments were kept with them, chains of links, care facts edited by clinicians, PATCH and
transactions, cohorts and stored documents."""

from __future__ import annotations

import json
from typing import Any

from fhir_server.access.policy import care_patients
from fhir_server.search import reindex
from tests.auth.helpers import LAB, load, observation
from tests.auth.test_reach_holes import _doc, _document_world, _stored


def _medic(smart) -> str:
    return smart.token("medic", scope="user/*.cruds openid fhirUser")["access_token"]


def _pre_change(smart, rtype: str) -> None:
    """What a database written before linked compartments looks like: follower documents had no links (cmp from
    plain extraction, [] for a Binary pointing at a DocumentReference) and history versions no cmp."""
    db = smart.service.resources.store
    db.resources.update_many({"t": rtype}, {"$set": {"cmp": []}, "$unset": {"lk": 1}})
    db.history.update_many({"t": rtype}, {"$unset": {"cmp": 1, "lk": 1}})


def _reindex_all(smart) -> None:
    store = smart.service.resources.store
    reindex.reindex_all(store)
    reindex.run_pending(store)


# -- versions stored before the change ---------------------------------------------------------------------------

def test_old_versions_of_a_document_out_of_reach_stay_hidden_after_reindex(smart):
    _document_world(smart)
    resources = smart.service.resources
    v2 = {**resources.current("Binary", "bin-p3")["res"], "contentType": "text/markdown"}
    load(resources, [v2])
    _pre_change(smart, "Binary")
    _reindex_all(smart)  # the documented upgrade step
    assert resources.current("Binary", "bin-p3")["cmp"] == ["p3"]  # current version fixed...
    for token in (_doc(smart), _medic(smart)):  # ...a crew member without any emergency declared
        answer = smart.fhir("GET", "Binary/bin-p3/_history/1", token)
        assert answer.status_code == 404, answer.get_json()


def test_a_document_deleted_before_the_change_stays_hidden_after_reindex(smart):
    _document_world(smart)
    resources = smart.service.resources
    resources.transaction(lambda s: resources.delete("Binary", "bin-p3", s))
    _pre_change(smart, "Binary")
    _reindex_all(smart)
    medic = _medic(smart)
    assert smart.fhir("GET", "Binary/bin-p3", medic).status_code == 404  # 410 tells it existed
    assert smart.fhir("GET", "Binary/bin-p3/_history/1", medic).status_code == 404
    history = smart.fhir("GET", "Binary/bin-p3/_history", medic).get_json()
    assert "bin-p3" not in str(history.get("entry", []))
    history = smart.fhir("GET", "Binary/_history", medic).get_json()
    assert "bin-p3" not in str(history)


# -- reindex resolves a chain of links in _id order ---------------------------------------------------------------------------

def test_reindex_resolves_links_to_followers_that_sort_later(smart):
    resources = smart.service.resources
    load(resources, [
        {"resourceType": "Provenance", "id": "prov-p3", "recorded": "2026-01-01T10:00:00Z",
         "target": [{"reference": "Observation/lab-p3"}], "agent": [{"who": {"reference": "Practitioner/doc"}}]},
        {"resourceType": "MessageHeader", "id": "msg-p3", "eventCoding": {"code": "lab-result"},
         "source": {"endpoint": "urn:lab"}, "focus": [{"reference": "Provenance/prov-p3"}]},
    ])
    assert resources.current("MessageHeader", "msg-p3")["cmp"] == ["p3"]  # written after the change: right
    _pre_change(smart, "Provenance")
    _pre_change(smart, "MessageHeader")
    _reindex_all(smart)
    assert resources.current("Provenance", "prov-p3")["cmp"] == ["p3"]
    assert resources.current("MessageHeader", "msg-p3")["cmp"] == ["p3"]


# -- a clinician's edit of a registry care fact ---------------------------------------------------------------------------

def test_a_clinician_touching_a_registry_encounter_does_not_end_a_colleagues_care(smart):
    """Any user write to an unmarked care fact marks it uw: the registry's fact stops counting for
    everyone it names (here: doc himself re-saves his own encounter unchanged)."""
    token = _doc(smart)
    resources = smart.service.resources
    assert "p2" in care_patients(resources, "doc")
    enc = smart.fhir("GET", "Encounter/enc-p2", token).get_json()
    assert smart.fhir("PUT", "Encounter/enc-p2", token, enc).status_code == 200
    assert "p2" in care_patients(resources, "doc")


# -- every write path, cohorts, stored documents ---------------------------------------------------------------------------

def test_patch_and_transactions_go_through_every_compartment(smart):
    token = _doc(smart)
    patch = [{"op": "add", "path": "/performer", "value": [{"reference": "Patient/p3"}]}]
    answer = smart.fhir("PATCH", "Observation/lab-p1", token, headers={"Content-Type": "application/json-patch+json"},
                        data=json.dumps(patch))
    assert answer.status_code == 403
    cond = smart.fhir("PATCH", "Observation?_id=lab-p1", token, headers={"Content-Type": "application/json-patch+json"},
                      data=json.dumps(patch))
    assert cond.status_code == 403
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {**observation("x", "p1", LAB, 1.0), "performer": [{"reference": "Patient/p3"}]},
         "request": {"method": "PUT", "url": "Observation?code=zzz"}}]}
    bundle["entry"][0]["resource"].pop("id")
    assert smart.fhir("POST", "", token, bundle).status_code in (400, 403)
    assert not [d for d in _stored(smart, "Observation", cmp="p3") if "x" == d["res"].get("id")]


def test_user_writes_in_transactions_and_patches_are_marked(smart):
    token = _doc(smart)
    enc: dict[str, Any] = {"resourceType": "Encounter", "status": "finished", "subject": {"reference": "Patient/p1"},
                           "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                           "participant": [{"individual": {"reference": "Practitioner/doc"}}]}
    for kind in ("transaction", "batch"):
        bundle = {"resourceType": "Bundle", "type": kind, "entry": [
            {"resource": enc, "request": {"method": "POST", "url": "Encounter"}}]}
        assert smart.fhir("POST", "", token, bundle).status_code == 200
    patch = [{"op": "replace", "path": "/status", "value": "in-progress"}]
    assert smart.fhir("PATCH", "Encounter/enc-p2", token, headers={"Content-Type": "application/json-patch+json"},
                      data=json.dumps(patch)).status_code == 200
    docs = _stored(smart, "Encounter")
    assert all(d.get("uw") for d in docs if d["id"] != "enc-p2" or d["vid"] > 1)


def test_everything_and_compartment_search_hold_followers_of_two_patients(smart):
    load(smart.service.resources, [
        {"resourceType": "Provenance", "id": "prov-both", "recorded": "2026-01-01T10:00:00Z",
         "target": [{"reference": "Observation/lab-p1"}, {"reference": "Observation/lab-p3"}],
         "agent": [{"who": {"reference": "Practitioner/doc"}}]}])
    token = _doc(smart)
    anna = smart.token("anna", scope="launch/patient patient/*.rs")["access_token"]
    for tok, path in ((token, "Patient/p1/$everything"), (token, "Patient/p1/Provenance"), (anna, "Patient/p1/$everything"),
                      (anna, "Provenance?target=Observation/lab-p1"), (token, "Observation?_revinclude=Provenance:target"),
                      (token, "Provenance/_history"), (token, "_history")):
        body = smart.fhir("GET", path, tok).get_data(as_text=True)
        assert "prov-both" not in body, path


def test_group_of_several_patients_read_by_one_member(smart):
    load(smart.service.resources, [
        {"resourceType": "Group", "id": "cohort", "type": "person", "actual": True, "name": "HIV cohort",
         "member": [{"entity": {"reference": "Patient/p1"}}, {"entity": {"reference": "Patient/p3"}}]}])
    anna = smart.token("anna", scope="launch/patient patient/*.rs")["access_token"]
    answer = smart.fhir("GET", "Group/cohort", anna)
    assert answer.status_code == 404


def test_a_stored_document_holding_a_binary_joins_the_binarys_card(smart):
    """doc cares for p1 and p2. A p1 Composition that cites p2's Binary, persisted with $document,
    must not become readable by p1 (anna) alone."""
    load(smart.service.resources, [
        {"resourceType": "DocumentReference", "id": "dr-p2", "status": "current",
         "subject": {"reference": "Patient/p2"}, "content": [{"attachment": {"url": "Binary/bin-p2"}}]},
        {"resourceType": "Binary", "id": "bin-p2", "contentType": "text/plain", "data": "U0VDUkVULXAy",
         "securityContext": {"reference": "DocumentReference/dr-p2"}},
        {"resourceType": "Composition", "id": "comp-p1", "status": "final", "type": {"text": "note"},
         "subject": {"reference": "Patient/p1"}, "date": "2026-01-01", "title": "Note",
         "author": [{"reference": "Practitioner/doc"}],
         "section": [{"title": "att", "entry": [{"reference": "Binary/bin-p2"}]}]},
    ])
    assert smart.service.resources.current("Binary", "bin-p2")["cmp"] == ["p2"]
    answer = smart.fhir("GET", "Composition/comp-p1/$document?persist=true", _doc(smart))
    assert answer.status_code == 200, answer.get_json()
    bundle_id = answer.get_json()["id"]
    anna = smart.token("anna", scope="launch/patient patient/*.rs")["access_token"]
    read = smart.fhir("GET", f"Bundle/{bundle_id}", anna)
    assert "U0VDUkVULXAy" not in read.get_data(as_text=True), read.status_code


def test_a_stored_bundle_joins_what_the_resources_it_holds_point_at(smart):
    """A Bundle holding only a Binary of p3's document is in p3's card, not unattached."""
    _document_world(smart)
    binary = smart.service.resources.current("Binary", "bin-p3")["res"]
    load(smart.service.resources, [{"resourceType": "Bundle", "id": "held", "type": "collection",
                                    "entry": [{"fullUrl": "Binary/bin-p3", "resource": binary}]}])
    assert smart.service.resources.current("Bundle", "held")["cmp"] == ["p3"]
    for token in (_doc(smart), _medic(smart)):
        assert smart.fhir("GET", "Bundle/held", token).status_code == 404


def test_a_mixed_transaction_may_record_the_provenance_of_what_it_creates(smart):
    token = _doc(smart)
    lab_p1 = smart.fhir("GET", "Observation/lab-p1", token).get_json()
    obs = observation("x", "p1", LAB, 14.0)
    obs.pop("id")
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {**lab_p1, "status": "amended"}, "request": {"method": "PUT", "url": "Observation/lab-p1"}},
        {"fullUrl": "urn:uuid:7f3b6a1e-0000-4000-8000-000000000001", "resource": obs,
         "request": {"method": "POST", "url": "Observation"}},
        {"resource": {"resourceType": "Provenance", "recorded": "2026-01-01T10:00:00Z",
                      "target": [{"reference": "urn:uuid:7f3b6a1e-0000-4000-8000-000000000001"}],
                      "agent": [{"who": {"reference": "Practitioner/doc"}}]},
         "request": {"method": "POST", "url": "Provenance"}},
    ]}
    answer = smart.fhir("POST", "", token, bundle)
    assert answer.status_code == 200, answer.get_json()
