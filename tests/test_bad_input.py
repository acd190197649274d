"""Malformed input across the API: always a 4xx OperationOutcome, never a 500, nothing half-stored.

Each case is one request against a small seeded store (Patient p1 and p2 sharing an identifier,
Observation o1, Composition c1). Reads must answer a 4xx OperationOutcome; writes must also leave
the ``resources`` and ``history`` collections exactly as they were. Cases marked "was 500" are
regressions of crashes found by fuzzing.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

JP = "application/json-patch+json"
FORM = "application/x-www-form-urlencoded"
BIG = "1" * 5000  # more digits than int() converts (4300)


def _cursor(payload: str) -> str:
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _nest(depth: int) -> Any:
    value: Any = {"url": "http://x", "valueString": "v"}
    for _ in range(depth):
        value = {"url": "http://x", "extension": [value]}
    return value


def _bundle(kind: str, *entries: Any) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def _entry(resource: Any = None, **request: Any) -> dict[str, Any]:
    return {**({"resource": resource} if resource is not None else {}), "request": request}


def _binary_patch(text: str) -> dict[str, Any]:
    return {"resourceType": "Binary", "contentType": JP, "data": base64.b64encode(text.encode()).decode()}


PATIENT = {"resourceType": "Patient"}
OBS = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
FP_ADD = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
    {"name": "type", "valueCode": "add"}, {"name": "path", "valueString": "Patient"},
    {"name": "name", "valueString": "active"}, {"name": "value", "valueBoolean": "x"}]}]}


@pytest.fixture()
def seeded(client):  # type: ignore[no-untyped-def]
    ident = [{"system": "urn:s", "value": "1"}]
    for body in ({"resourceType": "Patient", "id": "p1", "identifier": ident, "birthDate": "1990-01-01"},
                 {"resourceType": "Patient", "id": "p2", "identifier": ident},
                 {**OBS, "id": "o1", "subject": {"reference": "Patient/p1"}},
                 {"resourceType": "Composition", "id": "c1", "status": "final", "type": {"text": "t"},
                  "date": "2020-01-01", "author": [{"reference": "Patient/p1"}], "title": "t",
                  "subject": {"reference": "Patient/p1"}}):
        assert client.put(f"{body['resourceType']}/{body['id']}", body).status_code == 201
    return client


def _counts(store) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return store.resources.count_documents({}), store.history.count_documents({})


def _assert_outcome(response, statuses: range = range(400, 500)) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    text = response.get_data(as_text=True)
    assert response.status_code in statuses, (response.status_code, text[:500])
    assert "Traceback" not in text
    body = json.loads(text)
    assert body["resourceType"] == "OperationOutcome", text[:500]
    assert body["issue"] and all(i.get("diagnostics") for i in body["issue"])
    return body


READS = [
    # search syntax
    ("GET", "Patient?name:contains=" + "x" * 100_000, {}),           # was 500: regex too large
    ("GET", "Patient?identifier:text=" + "x" * 100_000, {}),         # was 500
    ("GET", "ValueSet?url:below=" + "x" * 100_000, {}),              # was 500
    ("GET", "Patient?birthdate=ge", {}),
    ("GET", "Patient?birthdate=xx2020", {}),
    ("GET", "Patient?birthdate:missing=maybe", {}),
    ("GET", "Patient?name:nope=x", {}),
    ("GET", "Patient?gender.x=1", {}),
    ("GET", "Patient?_has:Observation:nope:code=x", {}),
    ("GET", "Patient?_count=-1", {}),
    ("GET", "Patient?_count=abc", {}),
    ("GET", "Patient?_sort=nope", {}),
    ("GET", "Patient?_include=Patient:nope", {}),
    ("GET", "Patient?_total=nope", {}),
    ("GET", "Patient?_summary=nope", {}),
    ("GET", "Patient?nope=1", {"headers": {"Prefer": "handling=strict"}}),
    ("GET", "Patient?_cursor=abc", {}),
    ("GET", "Patient?_sort=birthdate&_cursor=" + _cursor('{"v":[9223372036854775808,"x"],"d":"next"}'), {}),  # was 500
    ("GET", "Observation?value-quantity=1|a|b|c", {}),
    ("GET", "Observation?code-value-quantity=a$b$c", {}),
    ("GET", "Nope?_id=1", {}),
    ("POST", "Patient/_search", {"raw": b"name=\xff\xfe", "content_type": FORM}),  # was 500: form not UTF-8
    ("POST", "Patient/_search", {"raw": b"_count=abc", "content_type": FORM}),
    # read, vread, history
    ("GET", "Patient/" + "a" * 65, {}),
    ("GET", "Patient/a_b", {}),
    ("GET", "Patient/p1/_history/%C2%B2", {}),  # was 500: '²'.isdigit() but int() refuses it
    ("GET", "Patient/p1/_history/" + BIG, {}),  # was 500: too many digits for int()
    ("GET", "Patient/p1/_history/x", {}),
    ("GET", "_history?_since=9999-12-31T23:59:59-14:00", {}),  # was 500: past datetime.max in UTC
    ("GET", "Patient/_history?_since=0001-01-01T00:00:00+14:00", {}),
    ("GET", "Patient/p1/_history?_at=x", {}),
    ("GET", "_history?_count=%C2%B2", {}),  # was 500
    ("GET", "_history?_count=" + BIG, {}),  # was 500
    ("GET", "_history?_cursor=" + _cursor('{"v":[18446744073709551615,"x"],"d":"next"}'), {}),  # was 500
    ("GET", "_history?nope=1", {"headers": {"Prefer": "handling=strict"}}),
    ("GET", "Patient/p1/_history/1/x", {}),
    # headers and formats
    ("GET", "Patient/p1", {"headers": {"Accept": "application/fhir+xml"}}),
    ("GET", "Patient/p1?_format=xml", {}),
    ("POST", "Patient/_search", {"raw": b"{}", "content_type": "text/plain"}),
    # operations
    ("POST", "Patient/p1/$everything", {"body": {"resourceType": "Parameters", "parameter": 1}}),  # was 500
    ("POST", "Patient/$validate", {"body": {"resourceType": "Parameters", "parameter": 1}}),  # was 500
    ("POST", "Observation/$lastn", {"body": {"resourceType": "Parameters", "parameter": {"name": "max"}}}),
    ("POST", "Composition/$document", {"body": {"resourceType": "Parameters", "parameter": [None]}}),
    ("GET", "Patient/p1/$everything?start=2021&end=2020", {}),
    ("GET", "Patient/p1/$everything?_type=Nope", {}),
    ("GET", "Patient/p1/$everything?_count=abc", {}),
    ("GET", "Patient/p1/$everything?_since=9999-12-31T23:59:59-14:00", {}),
    ("GET", "Observation/o1/$everything", {}),
    ("GET", "Patient/$summary?identifier=urn:s|1", {}),
    ("GET", "Composition/$document?id=c1&id=c1", {}),
    ("GET", "Composition/c1/$document?graph=x", {}),
    ("GET", "Observation/$lastn?max=0", {}),
    ("GET", "Patient/p1/$validate?mode=nope", {}),
    ("POST", "Patient/$validate", {"body": [1]}),
    ("POST", "Patient/$validate", {"body": {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": 1}]}}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), READS, ids=[f"{m} {p[:60]}" for m, p, _ in READS])
def test_bad_read_is_a_4xx_outcome(seeded, method: str, path: str, kwargs: dict[str, Any]) -> None:
    _assert_outcome(seeded.request(method, path, **kwargs))


WRITES = [
    # bodies of the wrong shape
    ("POST", "Patient", {"body": None, "raw": b"null"}),
    ("POST", "Patient", {"body": [1]}),
    ("POST", "Patient", {"body": {"resourceType": ["Patient"]}}),
    ("POST", "Patient", {"body": {"resourceType": "Patient", "name": [[[]]]}}),
    ("PUT", "Patient/p1", {"body": {"resourceType": "Patient", "id": 5}}),
    ("PUT", "Patient/p1", {"body": {"resourceType": "Patient", "id": ["p1"]}}),
    ("POST", "Patient", {"raw": b'{"resourceType":"Patient","name":[{"family":"\xff"}]}'}),
    ("POST", "Patient", {"raw": b"[" * 5000 + b"]" * 5000}),
    ("POST", "Patient", {"raw": b'{"resourceType":"Patient","x":' + b"[" * 600 + b"]" * 600 + b"}"}),
    ("POST", "Patient", {"raw": b'{"resourceType":"Patient"}', "content_type": "application/fhir+json; charset=latin1"}),
    ("POST", "Patient", {"raw": b"name=\xff", "content_type": FORM}),  # was 500
    # what MongoDB cannot store: refused before the write
    ("POST", "Patient", {"body": {"resourceType": "Patient", "extension": [_nest(100)]}}),  # was 500: 180 levels
    ("PUT", "Patient/deep", {"body": {"resourceType": "Patient", "id": "deep", "extension": [_nest(100)]}}),  # was 500
    ("POST", "Observation", {"raw": b'{"resourceType":"Observation","status":"final","code":{"text":"x"},'
                                    b'"valueQuantity":{"value":18446744073709551615}}'}),  # was 500: not int64
    # conditional interactions with bad conditions
    ("POST", "Patient", {"body": PATIENT, "headers": {"If-None-Exist": "nope"}}),
    ("POST", "Patient", {"body": PATIENT, "headers": {"If-None-Exist": "name=" + "x" * 100_000}}),  # was 500
    ("POST", "Patient", {"body": PATIENT, "headers": {"If-None-Exist": "identifier=urn:s|1"}}),  # 412: two match
    ("PUT", "Patient?name=" + "x" * 100_000, {"body": PATIENT}),  # was 500
    ("PUT", "Patient?nope=1", {"body": PATIENT}),
    ("PUT", "Patient?identifier=urn:s|1", {"body": PATIENT}),
    ("DELETE", "Patient?name:contains=" + "x" * 100_000, {}),  # was 500
    ("DELETE", "Patient?birthdate=ge", {}),
    ("DELETE", "Patient?identifier=urn:s|1", {}),
    ("DELETE", "Patient", {}),
    # versions
    ("PUT", "Patient/p1", {"body": {"resourceType": "Patient", "id": "p1"}, "headers": {"If-Match": 'W/"²"'}}),  # was 500
    ("PUT", "Patient/p1", {"body": {"resourceType": "Patient", "id": "p1"}, "headers": {"If-Match": BIG}}),  # was 500
    ("PUT", "Patient/absent", {"body": {"resourceType": "Patient", "id": "absent"}, "headers": {"If-Match": "*"}}),
    ("PUT", "Patient/p1", {"body": {"resourceType": "Patient", "id": "p1"}, "headers": {"If-Match": 'W/"9"'}}),
    ("PUT", "Patient/p1", {"body": {"resourceType": "Patient", "id": "p2"}}),
    # patch
    ("PATCH", "Patient/p1", {"body": {"op": "add"}, "content_type": JP}),
    ("PATCH", "Patient/p1", {"body": [{"op": "add", "path": 1, "value": 1}], "content_type": JP}),
    ("PATCH", "Patient/p1", {"body": [{"op": "replace", "path": "/id", "value": "zz"}], "content_type": JP}),
    ("PATCH", "Patient/p1", {"body": [{"op": "add", "path": "/birthDate", "value": "garbage"}], "content_type": JP}),
    ("PATCH", "Patient/p1", {"body": [{"op": "add", "path": "/extension", "value": [_nest(100)]}], "content_type": JP}),  # was 500
    ("PATCH", "Patient/p1", {"raw": b'[{"op":"add","path":"/x","value":' + b"[" * 900 + b"]" * 900 + b"}]",
                             "content_type": JP}),  # was 500: RecursionError in the copy
    ("PATCH", "Patient/p1", {"body": [{"op": "add", "path": "/active", "value": True}], "content_type": JP,
                             "headers": {"If-Match": 'W/"²"'}}),  # was 500
    ("PATCH", "Patient/p1", {"body": {"resourceType": "Parameters", "parameter": 1}}),
    ("PATCH", "Patient/p1", {"body": FP_ADD}),
    ("PATCH", "Patient/p1", {"body": {"active": True}}),
    ("PATCH", "Patient?name=" + "x" * 100_000, {"body": [{"op": "add", "path": "/active", "value": True}], "content_type": JP}),  # was 500
    ("PATCH", "Patient?identifier=urn:s|1", {"body": [{"op": "add", "path": "/active", "value": True}], "content_type": JP}),
    # transactions
    ("POST", "", {"body": {"resourceType": "Bundle", "type": "collection"}}),
    ("POST", "", {"body": {"resourceType": "Bundle", "type": "transaction", "entry": {"a": 1}}}),
    ("POST", "", {"body": _bundle("transaction", _entry(PATIENT, method="POST", url="Patient"), 1)}),
    ("POST", "", {"body": _bundle("transaction", _entry(PATIENT, method="OPTIONS", url="Patient"))}),
    ("POST", "", {"body": _bundle("transaction", _entry(PATIENT, method="POST", url="http://other/fhir/Patient"))}),
    ("POST", "", {"body": _bundle("transaction", *[{"fullUrl": ["a"], **_entry(PATIENT, method="POST", url="Patient")}] * 2)}),  # was 500
    ("POST", "", {"body": _bundle("transaction", *[{"fullUrl": "urn:uuid:1", **_entry(PATIENT, method="POST", url="Patient")}] * 2)}),
    ("POST", "", {"body": _bundle("transaction", _entry({"resourceType": "Patient", "id": 5}, method="PUT", url="Patient?_id=zz"))}),  # was 500
    ("POST", "", {"body": _bundle("transaction", _entry({**OBS, "subject": {"reference": "urn:uuid:nope"}}, method="POST", url="Observation"))}),
    ("POST", "", {"body": _bundle("transaction", _entry(PATIENT, method="POST", url="Patient"),
                                  _entry({**OBS, "subject": {"reference": "Patient?nope=1"}}, method="POST", url="Observation"))}),
    ("POST", "", {"body": _bundle("transaction", _entry(PATIENT, method="POST", url="Patient"),
                                  _entry({**OBS, "subject": {"reference": "Patient?identifier=urn:s|1"}}, method="POST", url="Observation"))}),
    ("POST", "", {"body": _bundle("transaction", _entry(PATIENT, method="POST", url="Patient", ifNoneExist="="))}),
    ("POST", "", {"body": _bundle("transaction", _entry(PATIENT, method="POST", url="Patient"),
                                  _entry({"resourceType": "Patient", "id": "p1"}, method="PUT", url="Patient/p1", ifMatch="garbage"))}),
    ("POST", "", {"body": _bundle("transaction", _entry(PATIENT, method="POST", url="Patient"),
                                  _entry(_binary_patch("[" * 5000 + "]" * 5000), method="PATCH", url="Patient/p1"))}),  # was 500
    ("POST", "", {"body": _bundle("transaction", _entry(PATIENT, method="POST", url="Patient"),
                                  _entry(_binary_patch('[{"op":"add","path":"/x","value":' + "[" * 900 + "]" * 900 + "}]"),
                                         method="PATCH", url="Patient/p1"))}),  # was 500
    ("POST", "", {"body": _bundle("transaction", _entry(PATIENT, method="POST", url="Patient"),
                                  _entry({"resourceType": "Patient", "extension": [_nest(100)]}, method="POST", url="Patient"))}),  # was 500
    # was half-stored: a nested batch committed on its own before a later (PUT) entry failed the transaction
    ("POST", "", {"body": _bundle("transaction", _entry(_bundle("batch", _entry(PATIENT, method="POST", url="Patient")), method="POST", url="/"),
                                  _entry({"resourceType": "Patient", "id": "p1", "birthDate": "x"}, method="PUT", url="Patient/p1"))}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), WRITES, ids=[f"{m} {p[:40]} {i}" for i, (m, p, _) in enumerate(WRITES)])
def test_bad_write_is_a_4xx_outcome_and_stores_nothing(seeded, store, method: str, path: str,
                                                       kwargs: dict[str, Any]) -> None:
    kwargs = dict(kwargs)
    if kwargs.get("body", 0) is None:
        kwargs.pop("body")
    before = _counts(store)
    _assert_outcome(seeded.request(method, path, **kwargs))
    assert _counts(store) == before


BATCH_ENTRIES = [
    [{"fullUrl": ["a"], **_entry(PATIENT, method="POST", url="Patient")}],  # was 500 (a batch too)
    [_entry(_bundle("transaction", _entry(PATIENT, method="POST", url="Patient")), method="POST", url="/")],
    [_entry(_binary_patch("[" * 5000 + "]" * 5000), method="PATCH", url="Patient/p1")],  # was 500
    [_entry(None, method="GET", url="Patient?name=" + "x" * 100_000)],  # was 500
    [_entry(None, method="GET", url="Patient/p1/_history/²")],  # was 500
    [_entry({**OBS, "status": "bad"}, method="POST", url="Observation"), _entry(None, method="DELETE", url="Patient?nope=1"),
     _entry({"resourceType": "Patient", "extension": [_nest(100)]}, method="POST", url="Patient")],
]


@pytest.mark.parametrize("entries", BATCH_ENTRIES)
def test_bad_batch_entries_fail_alone(seeded, store, entries: list[Any]) -> None:
    before = _counts(store)
    response = seeded.post("", _bundle("batch", *entries))
    if response.status_code != 200:  # a malformed bundle as a whole
        _assert_outcome(response)
    else:
        bundle = response.get_json()
        assert len(bundle["entry"]) == len(entries)
        for item in bundle["entry"]:
            assert item["response"]["status"].startswith("4"), item
            assert item["response"]["outcome"]["resourceType"] == "OperationOutcome"
    assert _counts(store) == before


SEARCHES = [
    "Patient?name=a%00b",  # was 500: NUL inside the regex
    "Patient?name:contains=%00",  # was 500
    "Patient?identifier:text=%00",  # was 500
    "ValueSet?url:below=%00",  # was 500
    "Patient?name=" + "%2E" * 2048,  # at the length limit, every character escaped
    "Patient?name=",
    "Patient?=x",
    "Patient?&&=",
    "Patient?name=&name=",
    "Patient?nope=1",
    "Patient?_count=1000000000",
    "Patient?_count=0",
    "Patient?_sort=-_lastUpdated,_id",
    "Patient?_include=*",
    "Observation?subject=Patient/p1&_count=1e9",
]


@pytest.mark.parametrize("path", SEARCHES, ids=[p[:60] for p in SEARCHES])
def test_odd_but_valid_search_is_a_bundle(seeded, path: str) -> None:
    response = seeded.get(path)
    if response.status_code >= 400:
        _assert_outcome(response)
    else:
        assert response.status_code == 200
        assert response.get_json()["resourceType"] == "Bundle"
