"""Content FHIR forbids is refused with a 400 OperationOutcome naming the place, and nothing is stored:
repeated JSON keys (at any depth, inside Bundle entries too), contained resources breaking dom-2 to
dom-5 or without an id, and control characters in strings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fhir_server.errors import BadRequest
from fhir_server.web.content import parse_body

PID = {"reference": "#p"}
CONTAINED_PATIENT = {"resourceType": "Patient", "id": "p"}


def _obs(*contained: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "contained": list(contained), "subject": PID, **extra}


def _refused(client, store, method: str, path: str, expression: str, **kw: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    before = store.resources.count_documents({}), store.history.count_documents({})
    response = client.request(method, path, **kw)
    text = response.get_data(as_text=True)
    assert response.status_code == 400, (response.status_code, text[:500])
    outcome = json.loads(text)
    assert outcome["resourceType"] == "OperationOutcome"
    expressions = [e for issue in outcome["issue"] for e in issue.get("expression", [])]
    assert expression in expressions, outcome
    assert (store.resources.count_documents({}), store.history.count_documents({})) == before
    return outcome


DUPLICATES = [
    (b'{"resourceType":"Patient","active":true,"active":false}', "Patient.active"),
    (b'{"resourceType":"Patient","name":[{"family":"a","given":["b"],"family":"c"}]}', "Patient.name[0].family"),
    (b'{"resourceType" : "Patient", "name" : [ { "family" : "a" , "family" : "b" } ] }', "Patient.name[0].family"),
    # an escaped colon elsewhere must not hide the dropped pair
    (b'{"resourceType":"Patient","name":[{"text":"a\\u003a","family":"a","family":"b"}]}', "Patient.name[0].family"),
    (b'{"resourceType":"Patient","na\\u006de":[{"family":"a"}],"name":[]}', "Patient.name"),
]


@pytest.mark.parametrize(("raw", "expression"), DUPLICATES)
def test_repeated_keys_are_refused(client, store, raw: bytes, expression: str) -> None:  # type: ignore[no-untyped-def]
    outcome = _refused(client, store, "POST", "Patient", expression, raw=raw)
    assert "more than once" in outcome["issue"][0]["diagnostics"]


def test_repeated_keys_inside_a_bundle_entry_are_refused(client, store) -> None:  # type: ignore[no-untyped-def]
    raw = (b'{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"},'
           b'"request":{"method":"POST","url":"Patient"}},{"resource":{"resourceType":"Patient",'
           b'"gender":"male","gender":"female"},"request":{"method":"POST","url":"Patient"}}]}')
    _refused(client, store, "POST", "", "Bundle.entry[1].resource.gender", raw=raw)


def test_repeated_keys_in_a_json_patch_are_refused(client, store) -> None:  # type: ignore[no-untyped-def]
    assert client.put("Patient/p1", {"resourceType": "Patient", "id": "p1"}).status_code == 201
    raw = b'[{"op":"add","path":"/active","value":true,"value":false}]'
    _refused(client, store, "PATCH", "Patient/p1", "$[0].value", raw=raw, content_type="application/json-patch+json")


@pytest.mark.parametrize("raw", [
    b'{"resourceType":"Patient","name":[{"family":"a:b","given":["c\\u003a"]}],"x:y":1}',
    b'{"resourceType":"Patient","text":"\\u00e9\\u2603"}',
    b'[{"a":1},{"a":2}]',
    b'"a:b"',
])
def test_bodies_without_repeated_keys_parse(raw: bytes) -> None:
    body, _ = parse_body(raw, "application/fhir+json", "POST")
    assert body == json.loads(raw)


def test_repeated_key_message_names_the_key() -> None:
    with pytest.raises(BadRequest, match="'family'.*Patient.name\\[0\\]"):
        parse_body(b'{"resourceType":"Patient","name":[{"family":"a","family":"b"}]}', None, "POST")


CONTAINED = [
    # dom-3 and the id: a contained resource needs an id, and a '#id' reference to it
    (_obs({"resourceType": "Patient"}), "Observation.contained[0]", "must have an id"),
    (_obs(CONTAINED_PATIENT, {"resourceType": "Practitioner", "id": "dr"}), "Observation.contained[1]", "dom-3"),
    (_obs({"resourceType": "Patient", "id": "q"}), "Observation.contained[0]", "dom-3"),
    # dom-2: no contained inside contained
    (_obs({**CONTAINED_PATIENT, "contained": [{"resourceType": "Practitioner", "id": "dr"}],
           "generalPractitioner": [{"reference": "#dr"}]}), "Observation.contained[0].contained", "dom-2"),
    # dom-4 and dom-5
    (_obs({**CONTAINED_PATIENT, "meta": {"versionId": "1"}}), "Observation.contained[0].meta.versionId", "dom-4"),
    (_obs({**CONTAINED_PATIENT, "meta": {"lastUpdated": "2020-01-01T00:00:00Z"}}),
     "Observation.contained[0].meta.lastUpdated", "dom-4"),
    (_obs({**CONTAINED_PATIENT, "meta": {"security": [{"system": "urn:s", "code": "R"}]}}),
     "Observation.contained[0].meta.security", "dom-5"),
]


@pytest.mark.parametrize(("resource", "expression", "rule"), CONTAINED)
def test_contained_rules(client, store, resource: dict[str, Any], expression: str, rule: str) -> None:  # type: ignore[no-untyped-def]
    outcome = _refused(client, store, "POST", "Observation", expression, body=resource)
    assert any(rule in issue["diagnostics"] for issue in outcome["issue"]), outcome
    _refused(client, store, "PUT", "Observation/o1", expression, body={**resource, "id": "o1"})


def test_contained_rules_apply_inside_bundle_entries(client, store) -> None:  # type: ignore[no-untyped-def]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": _obs({"resourceType": "Patient"}), "request": {"method": "POST", "url": "Observation"}}]}
    # a transaction names the entry in the diagnostics and the place inside its resource
    outcome = _refused(client, store, "POST", "", "Observation.contained[0]", body=bundle)
    assert outcome["issue"][0]["diagnostics"].startswith("Bundle.entry[0]")


@pytest.mark.parametrize("resource", [
    _obs(CONTAINED_PATIENT),
    # referenced from another contained resource
    _obs(CONTAINED_PATIENT, {"resourceType": "Practitioner", "id": "dr"},
         performer=[{"reference": "#dr"}]),
    # referring to its container with '#'
    {**_obs({"resourceType": "Provenance", "id": "prov", "recorded": "2020-01-01T00:00:00Z",
             "target": [{"reference": "#"}], "agent": [{"who": {"display": "x"}}]}), "subject": {"display": "x"}},
    # referenced through a canonical
    {"resourceType": "Questionnaire", "status": "draft", "contained": [
        {"resourceType": "ValueSet", "id": "vs", "status": "draft"}],
     "item": [{"linkId": "1", "type": "choice", "answerValueSet": "#vs"}]},
    _obs(CONTAINED_PATIENT, meta={"versionId": "7", "security": [{"system": "urn:s", "code": "R"}]}),
])
def test_valid_contained_resources_are_stored(client, resource: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    response = client.post(resource["resourceType"], resource)
    assert response.status_code == 201, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize(("text", "expression"), [
    ("a\x00b", "Patient.name[0].family"),
    ("\x01", "Patient.name[0].family"),
    ("a\x1fb", "Patient.name[0].family"),
    ("\x0b", "Patient.name[0].family"),
])
def test_control_characters_are_refused(client, store, text: str, expression: str) -> None:  # type: ignore[no-untyped-def]
    body = {"resourceType": "Patient", "name": [{"family": text}]}
    outcome = _refused(client, store, "POST", "Patient", expression, body=body)
    assert "control character" in outcome["issue"][0]["diagnostics"]


def test_control_characters_in_lists_and_bundles_are_refused(client, store) -> None:  # type: ignore[no-untyped-def]
    body = {"resourceType": "Patient", "name": [{"given": ["a", "b\x00"]}]}
    _refused(client, store, "POST", "Patient", "Patient.name[0].given[1]", body=body)
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient", "gender": "male"}, "request": {"method": "POST", "url": "Patient"}},
        {"resource": {"resourceType": "Patient", "name": [{"text": "x\x07"}]},
         "request": {"method": "POST", "url": "Patient"}}]}
    outcome = _refused(client, store, "POST", "", "Patient.name[0].text", body=bundle)
    assert outcome["issue"][0]["diagnostics"].startswith("Bundle.entry[1]")


def test_tab_cr_lf_and_other_unicode_are_accepted(client) -> None:  # type: ignore[no-untyped-def]
    body = {"resourceType": "Patient", "name": [{"family": "a\tb\r\nc\u00a0d\u2028e\x7f\u00e9"}]}
    response = client.post("Patient", body)
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    assert response.get_json()["name"][0]["family"] == body["name"][0]["family"]
