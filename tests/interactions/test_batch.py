"""batch and transaction bundles (http.html#transaction)."""

from __future__ import annotations

import json
import re

PATIENT_URN = "urn:uuid:0a0b0c0d-0000-4000-8000-000000000001"


def _transaction(entries: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _patient_entry(**extra) -> dict:
    return {"fullUrl": PATIENT_URN,
            "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:emc:mhi", "value": "1"}], **extra},
            "request": {"method": "POST", "url": "Patient"}}


def _obs_entry(ref: str = PATIENT_URN, status: str = "final") -> dict:
    return {"fullUrl": "urn:uuid:0a0b0c0d-0000-4000-8000-000000000002",
            "resource": {"resourceType": "Observation", "status": status, "code": {"text": "Hb"},
                         "subject": {"reference": ref}},
            "request": {"method": "POST", "url": "Observation"}}


def test_transaction_rewrites_urn_uuid_references(client):
    response = client.post("", _transaction([_obs_entry(), _patient_entry()]))
    assert response.status_code == 200, response.get_json()
    bundle = response.get_json()
    assert bundle["type"] == "transaction-response"
    assert [e["response"]["status"] for e in bundle["entry"]] == ["201 Created", "201 Created"]
    patient_location = bundle["entry"][1]["response"]["location"]
    patient_id = patient_location.split("/")[-3]
    obs = client.get(bundle["entry"][0]["response"]["location"].split("/fhir/")[1].rsplit("/_history", 1)[0])
    assert obs.get_json()["subject"]["reference"] == f"Patient/{patient_id}"


def test_failing_entry_leaves_nothing_stored(client, store):
    response = client.post("", _transaction([_patient_entry(), _obs_entry(status="not-a-status")]))
    assert response.status_code == 400
    assert "Bundle.entry[1]" in json.dumps(response.get_json())
    assert store.resources.count_documents({}) == 0
    assert store.history.count_documents({}) == 0


def test_unresolvable_urn_fails(client, store):
    response = client.post("", _transaction([_obs_entry(ref="urn:uuid:99999999-0000-4000-8000-000000000000")]))
    assert response.status_code == 400
    assert store.resources.count_documents({}) == 0


def test_conditional_reference_and_if_none_exist(client):
    client.post("Patient", _patient_entry()["resource"])
    entries = [
        {**_patient_entry(), "request": {"method": "POST", "url": "Patient", "ifNoneExist": "identifier=urn:emc:mhi|1"}},
        _obs_entry(ref="Patient?identifier=urn:emc:mhi|1"),
    ]
    bundle = client.post("", _transaction(entries)).get_json()
    assert bundle["entry"][0]["response"]["status"] == "200 OK"
    patients = client.get("Patient").get_json()
    assert patients["total"] == 1
    pid = patients["entry"][0]["resource"]["id"]
    observations = client.get("Observation").get_json()
    assert observations["entry"][0]["resource"]["subject"]["reference"] == f"Patient/{pid}"


def test_conditional_reference_without_match_fails(client, store):
    response = client.post("", _transaction([_obs_entry(ref="Patient?identifier=urn:emc:mhi|404")]))
    assert response.status_code == 412
    assert store.resources.count_documents({}) == 0


def test_transaction_order_put_delete_get(client):
    client.put("Patient/a", {"resourceType": "Patient", "id": "a"})
    entries = [
        {"request": {"method": "GET", "url": "Patient/b"}},
        {"resource": {"resourceType": "Patient", "id": "b"}, "request": {"method": "PUT", "url": "Patient/b"}},
        {"request": {"method": "DELETE", "url": "Patient/a"}},
    ]
    bundle = client.post("", _transaction(entries)).get_json()
    assert [e["response"]["status"] for e in bundle["entry"]] == ["200 OK", "201 Created", "200 OK"]
    assert bundle["entry"][0]["resource"]["id"] == "b"
    assert client.get("Patient/a").status_code == 410


def test_batch_entries_independent(client, store):
    entries = [
        {"resource": {"resourceType": "Patient", "id": "ok"}, "request": {"method": "PUT", "url": "Patient/ok"}},
        {"resource": {"resourceType": "Patient", "gender": "nope"}, "request": {"method": "POST", "url": "Patient"}},
        {"request": {"method": "GET", "url": "Patient/missing"}},
        {"request": {"method": "FROB", "url": "Patient"}},
    ]
    response = client.post("", {"resourceType": "Bundle", "type": "batch", "entry": entries})
    assert response.status_code == 200
    statuses = [e["response"]["status"] for e in response.get_json()["entry"]]
    assert statuses == ["201 Created", "400", "404", "400"]
    assert response.get_json()["entry"][1]["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert store.resources.count_documents({}) == 1


def test_bundle_type_must_be_batch_or_transaction(client):
    assert client.post("", {"resourceType": "Bundle", "type": "collection"}).status_code == 400
    assert client.post("", {"resourceType": "Patient"}).status_code == 400


def test_transaction_patch_and_if_match(client):
    client.put("Patient/a", {"resourceType": "Patient", "id": "a", "gender": "male"})
    patch = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
        {"name": "type", "valueCode": "replace"}, {"name": "path", "valueString": "Patient.gender"},
        {"name": "value", "valueCode": "female"}]}]}
    entries = [{"resource": patch, "request": {"method": "PATCH", "url": "Patient/a", "ifMatch": 'W/"1"'}}]
    bundle = client.post("", _transaction(entries)).get_json()
    assert bundle["entry"][0]["response"]["status"] == "200 OK"
    assert client.get("Patient/a").get_json()["gender"] == "female"
    stale = client.post("", _transaction(entries))
    assert stale.status_code == 412


def test_base_url_without_trailing_slash(client):
    bundle = _transaction([_patient_entry()])
    response = client.client.post("/fhir", json=bundle, headers={"Content-Type": "application/fhir+json"})
    assert response.status_code == 200
    assert response.get_json()["type"] == "transaction-response"


def test_entry_must_be_an_array(client):
    response = client.post("", {"resourceType": "Bundle", "type": "transaction", "entry": {}})
    assert response.status_code == 400
    assert response.get_json()["issue"][0]["expression"] == ["Bundle.entry"]


def test_transaction_retried_after_a_transient_error_links_its_new_ids(client, app, monkeypatch):
    """with_transaction re-runs the whole transaction after a transient error, with fresh ids:
    the references must be rewritten again from the bundle as sent, not from the first attempt."""
    from pymongo.errors import OperationFailure

    store = app.extensions["fhir_context"].store
    insert = store.insert_many_new
    attempts = []

    def flaky(resources, session):  # type: ignore[no-untyped-def]
        attempts.append(1)
        if len(attempts) == 1:
            error = OperationFailure("simulated write conflict", code=112)
            error._add_error_label("TransientTransactionError")
            raise error
        return insert(resources, session)

    monkeypatch.setattr(store, "insert_many_new", flaky)
    bundle = client.post("", _transaction([_obs_entry(), _patient_entry()])).get_json()
    assert len(attempts) == 2
    patient_id = bundle["entry"][1]["response"]["location"].split("/")[-3]
    obs = client.get(bundle["entry"][0]["response"]["location"].split("/fhir/")[1].rsplit("/_history", 1)[0])
    assert obs.get_json()["subject"]["reference"] == f"Patient/{patient_id}"


def test_unresolvable_reference_names_its_entry(client):
    response = client.post("", _transaction([_patient_entry(), _obs_entry(ref="urn:uuid:99999999-0000-4000-8000-000000000000")]))
    assert response.status_code == 400
    assert response.get_json()["issue"][0]["diagnostics"].startswith("Bundle.entry[1]: ")


def test_transaction_response_entries_with_return_minimal(client):
    response = client.post("", _transaction([_obs_entry(), _patient_entry()]), headers={"Prefer": "return=minimal"})
    entries = response.get_json()["entry"]
    assert [set(e) for e in entries] == [{"response"}, {"response"}]
    for entry in entries:
        assert entry["response"]["etag"] == 'W/"1"'
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["response"]["lastModified"])
        assert entry["response"]["location"].endswith("/_history/1")
