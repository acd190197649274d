"""One access policy on every path: patients, guardians, clinicians, break-the-glass, backend services.

The leak tests send every read path the server has (read, vread, search with _include, _revinclude,
chains and _has, history at all three levels, batch, operations) with a token and collect every
resource anywhere in every answer: none may belong to a compartment the token does not reach.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.search.extract import extract
from tests.auth.helpers import LAB, PATIENTS, ids

OTHER = "p2"


def _resources(value: Any) -> list[dict[str, Any]]:
    """Every resource inside a JSON answer (bundle entries, contained, nested bundles)."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        if "resourceType" in value and "id" in value and value["resourceType"] not in ("Bundle", "OperationOutcome",
                                                                                         "Parameters"):
            found.append(value)
        for item in value.values():
            found.extend(_resources(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_resources(item))
    return found


def _paths(own: str, other: str) -> list[tuple[str, str, Any]]:
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": f"Patient/{other}"}},
        {"request": {"method": "GET", "url": f"Observation?subject=Patient/{other}"}},
        {"request": {"method": "GET", "url": f"Observation/lab-{other}/_history"}},
    ]}
    return [
        ("GET", f"Patient/{other}", None),
        ("GET", f"Observation/lab-{other}", None),
        ("GET", f"Observation/lab-{other}/_history/1", None),
        ("GET", f"Observation/lab-{other}/_history", None),
        ("GET", "Observation", None),
        ("GET", f"Observation?subject=Patient/{other}", None),
        ("GET", f"Observation?patient={other}", None),
        ("GET", f"Patient?_id={other}", None),
        ("GET", "Patient", None),
        ("GET", "Condition", None),
        ("GET", "RelatedPerson", None),
        ("GET", "Encounter", None),
        ("GET", "Practitioner", None),
        ("GET", "Organization", None),
        ("GET", "Observation?_include=Observation:subject", None),
        ("GET", "Observation?_include=Observation:subject&_include:iterate=Patient:organization", None),
        ("GET", "Patient?_revinclude=Observation:subject&_revinclude=Condition:subject", None),
        ("GET", f"Patient?_id={own}&_revinclude=RelatedPerson:patient", None),
        ("GET", "Observation?subject:Patient.family=Petrov", None),
        ("GET", "Patient?_has:Observation:subject:code=718-7", None),
        ("GET", "_history", None),
        ("GET", "Observation/_history", None),
        ("GET", "Patient/_history", None),
        ("GET", f"Patient/{other}/$everything", None),
        ("GET", f"Patient/{own}/$everything", None),
        ("GET", "Patient/$everything", None),
        ("GET", f"Patient/{other}/$summary", None),
        ("GET", "Observation/$lastn?max=5", None),
        ("GET", f"Observation/$lastn?patient={other}", None),
        ("GET", "AuditEvent", None),
        ("POST", "Observation/_search", None),
        ("POST", "", batch),
    ]


def _leaks(smart, token: str, allowed: set[str], own: str, other: str, unattached_ok: bool = False) -> list[str]:
    """Resources of compartments outside ``allowed`` (and, unless ``unattached_ok``, resources in no
    patient's compartment, such as Practitioner: a patient's token reaches only its compartment)."""
    leaks = []
    for method, path, body in _paths(own, other):
        response = smart.fhir(method, path, token, body)
        assert response.status_code < 500, (path, response.get_data(as_text=True))
        for resource in _resources(response.get_json(silent=True)):
            compartments = set(extract(resource).compartments)
            if (not compartments and not unattached_ok) or not compartments <= allowed:
                leaks.append(f"{method} {path}: {resource['resourceType']}/{resource['id']} {sorted(compartments)}")
    return leaks


def test_patient_token_sees_nothing_of_other_compartments(smart):
    token = smart.token("anna", scope="launch/patient patient/*.rs user/*.rs openid fhirUser")["access_token"]
    assert _leaks(smart, token, {"p1"}, "p1", OTHER) == []
    # and the patient's own card is all there
    bundle = smart.fhir("GET", "Patient/p1/$everything", token).get_json()
    assert {"Patient/p1", "Observation/lab-p1", "Observation/vit-p1", "Condition/cond-p1"} <= ids(bundle)


def test_guardian_token_sees_the_child_and_nothing_else(smart):
    token = smart.token("olga", scope="launch/patient patient/*.rs openid fhirUser", consent={"patient": "c1"})
    assert token["patient"] == "c1"
    access = token["access_token"]
    assert _leaks(smart, access, {"c1"}, "c1", "c2") == []
    assert _leaks(smart, access, {"c1"}, "c1", OTHER) == []
    assert smart.fhir("GET", "Observation/lab-c1", access).status_code == 200


def test_guardian_of_a_child_who_turned_15_yesterday_sees_nothing(smart):
    # ivan's only link is to c3, whose 15th birthday was yesterday: no child to pick at all
    smart.fresh_browser()
    smart.authorize(smart.authorize_params())
    smart.password("ivan")
    smart.code(smart.last_code("+79990000004"))
    page = smart.consent()
    assert page.status_code == 400 and "under 15" in page.get_data(as_text=True)


def test_guardian_token_stops_on_the_15th_birthday_whatever_it_says(smart):
    token = smart.token("olga", scope="launch/patient patient/*.rs offline_access", consent={"patient": "c1"})
    access = token["access_token"]
    assert smart.fhir("GET", "Patient/c1", access).status_code == 200
    # the child's birth date is corrected: the 15th birthday was yesterday
    from tests.auth.helpers import load, patient, years_ago
    load(smart.service.resources, [patient("c1", "Child", years_ago(15, days=1))])
    assert smart.fhir("GET", "Patient/c1", access).status_code == 404
    assert _leaks(smart, access, set(), "c1", "c1") == []
    assert _leaks(smart, access, set(), "c1", OTHER) == []
    # a refresh does not bring it back
    refreshed = smart.web.post("/auth/token", data={"grant_type": "refresh_token", "client_id": "public-app",
                                                    "refresh_token": token["refresh_token"]}).get_json()
    assert smart.fhir("GET", "Observation/lab-c1", refreshed["access_token"]).status_code == 404


def test_guardian_link_must_stay_active_verified_and_on_the_account(smart):
    token = smart.token("olga", scope="launch/patient patient/*.rs", consent={"patient": "c1"})["access_token"]
    from tests.auth.helpers import load, related
    load(smart.service.resources, [related("rp1", "c1", active=False)])
    assert smart.fhir("GET", "Patient/c1", token).status_code == 404
    load(smart.service.resources, [related("rp1", "c1")])
    assert smart.fhir("GET", "Patient/c1", token).status_code == 200
    smart.service.auth_store.users.update_one({"_id": "olga"}, {"$set": {"links": ["rp2"]}})
    assert smart.fhir("GET", "Patient/c1", token).status_code == 404


def test_guardian_picker_offers_only_eligible_children(smart):
    smart.fresh_browser()
    smart.authorize(smart.authorize_params())
    smart.password("olga")
    smart.code(smart.last_code("+79990000003"))
    page = smart.web.get("/auth/consent").get_data(as_text=True)
    assert 'value="c1"' in page and 'value="c2"' not in page and 'value="c4"' not in page  # 16; unverified
    refused = smart.consent(patient="c2")
    assert refused.status_code == 400


def test_out_of_reach_is_answered_exactly_like_absent(smart):
    token = smart.token("anna")["access_token"]
    for hidden, absent in (("Observation/lab-p2", "Observation/nope"), ("Patient/p2", "Patient/nope"),
                           ("Observation/lab-p2/_history/1", "Observation/nope/_history/1"),
                           ("Observation/lab-p2/_history", "Observation/nope/_history"),
                           ("Patient/p2/$everything", "Patient/nope/$everything")):
        a, b = smart.fhir("GET", hidden, token), smart.fhir("GET", absent, token)
        assert a.status_code == b.status_code == 404, hidden
        hidden_id, absent_id = hidden.split("/")[1], absent.split("/")[1]
        assert a.get_data(as_text=True).replace(hidden_id, "X") == b.get_data(as_text=True).replace(absent_id, "X")
    diary = {"resourceType": "Observation", "status": "final", "code": {"text": "mood"},
             "subject": {"reference": "Patient/p1"}, "performer": [{"reference": "Patient/p1"}]}
    a = smart.fhir("PUT", "Observation/lab-p2", token, {**diary, "id": "lab-p2"})
    b = smart.fhir("PUT", "Observation/nope", token, {**diary, "id": "nope"})
    assert a.status_code == b.status_code == 403
    assert a.get_data(as_text=True).replace("lab-p2", "X") == b.get_data(as_text=True).replace("nope", "X")


def test_deleted_resource_of_another_patient_looks_absent(smart):
    smart.service.resources.transaction(lambda s: smart.service.resources.delete("Observation", "vit-p2", s))
    token = smart.token("anna")["access_token"]
    assert smart.fhir("GET", "Observation/vit-p2", token).status_code == 404  # not 410
    history = smart.fhir("GET", "_history", token).get_json()
    assert all("vit-p2" not in e["fullUrl"] for e in history.get("entry", []))


def test_patients_write_diary_observations_only(smart):
    token = smart.token("anna", scope="launch/patient patient/*.cruds")["access_token"]
    diary = {"resourceType": "Observation", "status": "final", "code": {"text": "Давление"},
             "subject": {"reference": "Patient/p1"}, "performer": [{"reference": "Patient/p1"}],
             "valueQuantity": {"value": 120, "unit": "mmHg"}}
    created = smart.fhir("POST", "Observation", token, diary)
    assert created.status_code == 201
    clinical = {**diary, "performer": [{"reference": "Practitioner/doc"}]}
    assert smart.fhir("POST", "Observation", token, clinical).status_code == 403
    other = {**diary, "subject": {"reference": "Patient/p2"}, "performer": [{"reference": "Patient/p2"}]}
    assert smart.fhir("POST", "Observation", token, other).status_code == 403
    assert smart.fhir("POST", "Condition", token, {"resourceType": "Condition", "subject": {"reference":
                                                   "Patient/p1"}}).status_code == 403
    # a diary entry may be updated; a clinical record may not be overwritten by one
    new_id = created.get_json()["id"]
    assert smart.fhir("PUT", f"Observation/{new_id}", token, {**diary, "id": new_id}).status_code == 200
    assert smart.fhir("PUT", "Observation/lab-p1", token, {**diary, "id": "lab-p1"}).status_code == 403
    assert smart.fhir("DELETE", f"Observation/{new_id}", token).status_code == 403


def test_read_only_scopes_cannot_write(smart):
    token = smart.token("anna", scope="launch/patient patient/*.rs")["access_token"]
    diary = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
             "subject": {"reference": "Patient/p1"}, "performer": [{"reference": "Patient/p1"}]}
    assert smart.fhir("POST", "Observation", token, diary).status_code == 403


def test_granular_scopes_are_search_filters(smart):
    token = smart.token("anna", client_id="narrow-app", scope=f"launch/patient patient/Observation.rs?category={LAB}")
    assert token["scope"].endswith(LAB)
    access = token["access_token"]
    assert ids(smart.fhir("GET", "Observation", access).get_json()) == {"Observation/lab-p1"}
    assert smart.fhir("GET", "Observation/vit-p1", access).status_code == 404
    assert smart.fhir("GET", "Observation/lab-p1", access).status_code == 200
    assert smart.fhir("GET", "Condition", access).get_json().get("entry") is None


def test_v1_scopes(smart):
    token = smart.token("anna", scope="launch/patient patient/Observation.read")["access_token"]
    assert smart.fhir("GET", "Observation/lab-p1", token).status_code == 200
    assert smart.fhir("GET", "Patient/p1", token).status_code == 404


def test_clinician_sees_patients_in_care_only(smart):
    token = smart.token("doc", client_id="secret-app", scope="user/*.rs openid fhirUser")["access_token"]
    patients = ids(smart.fhir("GET", "Patient", token).get_json())
    assert patients == {"Patient/p1", "Patient/p2"}  # clinic (managingOrganization) and encounter
    assert smart.fhir("GET", "Observation/lab-p3", token).status_code == 404
    assert smart.fhir("GET", "Practitioner/doc", token).status_code == 200  # not patient data
    found = {r["id"] for r in _resources(smart.fhir("GET", "Observation", token).get_json())}
    assert found == {"lab-p1", "vit-p1", "lab-p2", "vit-p2"}


def test_clinician_break_the_glass_is_read_only_and_recorded(smart):
    refused = None
    smart.fresh_browser()
    smart.authorize(smart.authorize_params(client_id="secret-app", scope="launch/patient patient/*.cruds"))
    smart.password("doc")
    smart.code(smart.last_code("+79990000005"))
    refused = smart.consent(patient_lookup="p3")  # no care relationship, no emergency declared
    assert refused.status_code == 400
    token = smart.token("doc", client_id="secret-app", scope="launch/patient patient/*.cruds offline_access",
                        consent={"patient_lookup": "p3", "emergency": "yes", "reason": "unconscious"})
    assert token["patient"] == "p3" and token["purpose_of_use"] == "BTG"
    assert "refresh_token" not in token and "patient/*.rs" in token["scope"].split()
    access = token["access_token"]
    assert smart.fhir("GET", "Observation/lab-p3", access).status_code == 200
    assert smart.fhir("GET", "Observation/lab-p1", access).status_code == 404  # only the declared patient
    write = smart.fhir("POST", "Observation", access, {"resourceType": "Observation", "status": "final",
                                                      "code": {"text": "x"}, "subject": {"reference": "Patient/p3"}})
    assert write.status_code == 403
    events = list(smart.service.resources.store.resources.find({"t": "AuditEvent", "cmp": "p3"}))
    assert events and all(e["res"]["purposeOfEvent"][0]["coding"][0]["code"] == "BTG" for e in events)
    assert events[0]["res"]["purposeOfEvent"][0]["text"] == "unconscious"


def test_ambulance_must_declare_emergency_treatment(smart):
    smart.fresh_browser()
    smart.authorize(smart.authorize_params(scope="launch/patient patient/*.rs"))
    smart.password("medic")
    smart.code(smart.last_code("+79990000006"))
    assert smart.consent(patient_lookup="p2").status_code == 400
    mhi = smart.service.resources.current("Patient", "p2")["res"]["identifier"][0]["value"]
    token = smart.token("medic", scope="launch/patient patient/*.rs",
                        consent={"patient_lookup": mhi, "emergency": "yes", "reason": "вызов 03"})
    assert token["patient"] == "p2" and token["purpose_of_use"] == "ETREAT"
    access = token["access_token"]
    assert {"Observation/lab-p2", "Observation/vit-p2"} <= ids(smart.fhir("GET", "Observation", access).get_json())
    assert _leaks(smart, access, {"p2"}, "p2", "p1", unattached_ok=True) == []


def test_ambulance_without_emergency_reaches_no_card(smart):
    token = smart.token("medic", scope="user/*.rs openid fhirUser")["access_token"]
    assert smart.fhir("GET", "Patient", token).get_json().get("entry") is None
    assert smart.fhir("GET", "Observation/lab-p1", token).status_code == 404


@pytest.mark.parametrize("username", ["anna", "olga"])
def test_audit_events_cannot_be_written_by_tokens(smart, username):
    consent = {"patient": "c1"} if username == "olga" else None
    token = smart.token(username, scope="launch/patient patient/*.cruds", consent=consent)["access_token"]
    event = {"resourceType": "AuditEvent", "type": {"code": "rest"}, "recorded": "2026-01-01T00:00:00Z",
             "agent": [{"requestor": True}], "source": {"observer": {"display": "x"}}}
    assert smart.fhir("POST", "AuditEvent", token, event).status_code == 403


def test_every_patient_in_the_world_is_guarded(smart):
    assert set(PATIENTS) >= {"p1", "p2", "c1", "c2", "c3"}
