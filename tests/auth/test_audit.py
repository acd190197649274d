"""The audit trail: AuditEvents for every access to patient data, searchable by the patient."""

from __future__ import annotations

from fhir.resources.R4B.auditevent import AuditEvent

from fhir_server.search.extract import extract


def _events(smart, patient=None):
    query = {"t": "AuditEvent"} if patient is None else {"t": "AuditEvent", "cmp": patient}
    return [d["res"] for d in smart.service.resources.store.resources.find(query)]


def test_reads_are_recorded_with_who_what_and_client(smart):
    token = smart.token("anna")["access_token"]
    assert smart.fhir("GET", "Observation/lab-p1", token).status_code == 200
    [event] = _events(smart, "p1")
    AuditEvent.model_validate(event)
    assert event["action"] == "R" and event["outcome"] == "0"
    assert event["subtype"][0]["code"] == "read"
    assert event["agent"][0]["who"] == {"reference": "Patient/p1"} and event["agent"][0]["altId"] == "anna"
    assert event["agent"][1]["who"]["identifier"]["value"] == "public-app"
    refs = [e["what"]["reference"] for e in event["entity"] if "what" in e]
    assert refs == ["Patient/p1", "Observation/lab-p1"]
    assert extract(event).compartments == ["p1"]


def test_one_event_per_patient_never_mixing_cards(smart):
    token = smart.token("doc", client_id="secret-app", scope="user/*.rs")["access_token"]
    assert smart.fhir("GET", "Observation", token).status_code == 200
    for patient in ("p1", "p2"):
        [event] = _events(smart, patient)
        AuditEvent.model_validate(event)
        assert event["action"] == "E" and event["subtype"][0]["code"] == "search-type"
        assert extract(event).compartments == [patient]
        assert event["agent"][0]["who"] == {"reference": "Practitioner/doc"}
    assert _events(smart, "p3") == []


def test_a_patient_s_event_never_shows_what_the_query_said_of_others(smart):
    import base64
    from urllib.parse import parse_qsl

    token = smart.token("doc", client_id="secret-app", scope="user/*.rs")["access_token"]
    response = smart.fhir("GET", "Observation?patient=p1,Patient/p2&_count=50", token)
    assert response.status_code == 200
    queries = {}
    for patient in ("p1", "p2"):
        for event in _events(smart, patient):
            [entity] = [e for e in event["entity"] if e.get("role", {}).get("code") == "24"]
            queries[patient] = parse_qsl(base64.b64decode(entity["query"]).decode())
    assert queries["p1"] == [("patient", "p1,*"), ("_count", "*")]
    assert queries["p2"] == [("patient", "*,Patient/p2"), ("_count", "*")]


def test_nothing_is_recorded_when_nothing_is_returned(smart):
    token = smart.token("anna")["access_token"]
    smart.fhir("GET", "Observation/lab-p2", token)
    smart.fhir("GET", "Observation?patient=p2", token)
    assert _events(smart) == []


def test_patients_see_who_read_their_card_and_only_their_own_trail(smart):
    doc = smart.token("doc", client_id="secret-app", scope="user/*.rs")["access_token"]
    smart.fhir("GET", "Patient/p1", doc)
    smart.fhir("GET", "Patient/p2", doc)
    anna = smart.token("anna", scope="launch/patient patient/*.rs")["access_token"]
    bundle = smart.fhir("GET", "AuditEvent", anna).get_json()
    events = [e["resource"] for e in bundle.get("entry", [])]
    assert events and all(extract(e).compartments == ["p1"] for e in events)
    assert any(e["agent"][0]["who"] == {"reference": "Practitioner/doc"} for e in events)
    before = len(_events(smart))
    smart.fhir("GET", "AuditEvent", anna)
    assert len(_events(smart)) == before  # reading the trail is not itself recorded


def test_writes_are_recorded(smart):
    token = smart.token("anna", scope="launch/patient patient/*.cruds")["access_token"]
    diary = {"resourceType": "Observation", "status": "final", "code": {"text": "Пульс"},
             "subject": {"reference": "Patient/p1"}, "performer": [{"reference": "Patient/p1"}]}
    created = smart.fhir("POST", "Observation", token, diary).get_json()
    [event] = _events(smart, "p1")
    assert event["action"] == "C" and event["subtype"][0]["code"] == "create"
    assert f"Observation/{created['id']}" in [e["what"]["reference"] for e in event["entity"] if "what" in e]


def test_no_audit_without_authentication(client):
    client.create({"resourceType": "Patient"})
    assert client.get("AuditEvent").get_json().get("total") == 0
