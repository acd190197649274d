"""compile_search(): parameters to a MongoDB filter, sort and paging controls."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fhir_server.errors import BadRequest
from fhir_server.search.compile import compile_search, implies_compartment

BASE = {"t": "Observation", "del": {"$ne": True}}
OPERATORS = {"$and", "$or", "$in", "$elemMatch", "$ne", "$exists", "$not", "$gt", "$gte", "$lt", "$lte", "$regex"}


def _operators(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {k for k in value if k.startswith("$")}
        for item in value.values():
            found |= _operators(item)
        return found
    if isinstance(value, list):
        return set().union(*(_operators(v) for v in value)) if value else set()
    return set()


def test_no_parameters_lists_the_type() -> None:
    compiled = compile_search("Observation", [])
    assert compiled.filter == BASE
    assert compiled.sort == [("_id", 1)]
    assert compiled.count is None and compiled.ignored == [] and compiled.patient_scope is None


def test_token_or_and_and() -> None:
    compiled = compile_search("Observation", [("code", "a,b"), ("code", "http://loinc.org|c")])
    assert compiled.filter == {**BASE, "$and": [
        {"i": {"$elemMatch": {"p": "code", "v": {"$in": ["a", "b"]}}}},
        {"i": {"$elemMatch": {"p": "code", "v": "c", "s": "http://loinc.org"}}},
    ]}


def test_or_of_complex_values_is_an_or_of_elem_matches() -> None:
    compiled = compile_search("Observation", [("code", "http://a|1,http://b|2")])
    assert compiled.filter == {**BASE, "$or": [
        {"i": {"$elemMatch": {"p": "code", "v": "1", "s": "http://a"}}},
        {"i": {"$elemMatch": {"p": "code", "v": "2", "s": "http://b"}}},
    ]}


def test_string_is_an_escaped_anchored_regex() -> None:
    compiled = compile_search("Patient", [("name", "Jö.*")])
    assert compiled.filter["i"] == {"$elemMatch": {"p": "name", "v": {"$regex": r"^jo\.\*"}}}


def test_id_and_last_updated_use_document_fields() -> None:
    compiled = compile_search("Observation", [("_id", "a,b")])
    assert compiled.filter == {**BASE, "id": {"$in": ["a", "b"]}}
    compiled = compile_search("Observation", [("_lastUpdated", "ge2020-01-01")])
    assert compiled.filter == {**BASE, "lu": {"$gte": datetime(2020, 1, 1, tzinfo=UTC)}}


def test_missing_modifier() -> None:
    present = compile_search("Observation", [("value-quantity:missing", "false")]).filter
    assert present["r.p"] == "value-quantity"
    absent = compile_search("Observation", [("value-quantity:missing", "true")]).filter
    assert absent["r.p"] == {"$ne": "value-quantity"}
    assert compile_search("Observation", [("code:missing", "true")]).filter["i.p"] == {"$ne": "code"}
    with pytest.raises(BadRequest, match="missing"):
        compile_search("Observation", [("code:missing", "maybe")])


@pytest.mark.parametrize(
    ("name", "value"),
    [("code:in", "http://vs"), ("code:below", "x"), ("subject:Nope", "1"), ("name:nope", "x"),
     ("subject.name", "x"), ("_has:Observation:patient:code", "x"), ("code-value-quantity", "x$5$6"),
     ("_text", "x"), ("_content", "x"), ("date:exact", "2019"), ("status.name", "x"),
     ("subject:Device", "1"), ("code-value-quantity", "http://loinc.org|$5"), ("name:not", "x")],
)
def test_unsupported_or_malformed_is_a_bad_request_naming_the_parameter(name: str, value: str) -> None:
    rtype = "Patient" if name.startswith("name") or name.startswith("_has") else "Observation"
    if name == "subject:Device":
        rtype = "Condition"  # Condition.subject: Patient or Group
    with pytest.raises(BadRequest) as caught:
        compile_search(rtype, [(name, value)])
    assert name.split(":")[0] in str(caught.value)


def test_unknown_parameters_are_ignored_or_refused() -> None:
    compiled = compile_search("Observation", [("nope", "1"), ("name[$ne]", "x"), ("code", "a")])
    assert compiled.ignored == ["nope", "name[$ne]"]
    assert compiled.filter == {**BASE, "i": {"$elemMatch": {"p": "code", "v": "a"}}}
    with pytest.raises(BadRequest, match="nope"):
        compile_search("Observation", [("nope", "1")], strict=True)


@pytest.mark.parametrize(
    "params",
    [
        [("code", "$ne"), ("code[$gt]", ""), ("_id", "{'$gt': ''}"), ("status", "$where")],
        [("name", "a|b.*(?=x)"), ("$where", "1"), ("address", "^x$")],
        [("birthdate", "ge2019"), ("_lastUpdated", "lt2020"), ("identifier", "$regex|.*")],
    ],
)
def test_user_input_never_becomes_an_operator(params: list[tuple[str, str]]) -> None:
    rtype = "Patient" if any(p[0] in ("name", "birthdate", "address") for p in params) else "Observation"
    compiled = compile_search(rtype, params)
    assert _operators(compiled.filter) <= OPERATORS
    assert "$where" not in str(compiled.filter.keys())


def test_result_parameters_are_passed_back() -> None:
    params = [("_count", "10"), ("_sort", "-date"), ("_include", "Observation:subject"),
              ("_include:iterate", "Patient:link"), ("_summary", "count"), ("_elements", "id"),
              ("_total", "accurate"), ("_format", "json"), ("_pretty", "true"), ("_revinclude", "X:y"),
              ("_contained", "true"), ("_containedType", "container"), ("_cursor", "abc")]
    compiled = compile_search("Observation", params)
    assert compiled.filter == BASE and compiled.ignored == []
    assert compiled.count == 10
    assert compiled.sort == [("s.date", -1), ("_id", 1)]
    assert compiled.control["_include"] == ["Observation:subject"]
    assert compiled.control["_include:iterate"] == ["Patient:link"]
    assert set(compiled.control) == {name for name, _ in params}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("date", [("s.date", 1), ("_id", 1)]), ("-_lastUpdated", [("lu", -1), ("_id", 1)]), ("_id", [("_id", 1)])],
)
def test_sort(raw: str, expected: list) -> None:
    assert compile_search("Observation", [("_sort", raw)]).sort == expected


@pytest.mark.parametrize(
    "params",
    [[("_sort", "nope")], [("_sort", "code-value-quantity")], [("_count", "-1")],
     [("_count", "ten")], [("date", "2019-13")], [("value-quantity", "big")], [("date", "xx2019")],
     [("_sort", "date,-date")], [("date", "2019-02-30")], [("date", "2019-01-01T25:00")]],
)
def test_bad_values(params: list[tuple[str, str]]) -> None:
    with pytest.raises(BadRequest):
        compile_search("Observation", params)


def test_empty_values_are_ignored() -> None:
    assert compile_search("Observation", [("code", ""), ("date", ",")]).filter == BASE


@pytest.mark.parametrize(
    ("rtype", "params", "scope"),
    [
        ("Observation", [("subject", "Patient/p1")], "p1"),
        ("Observation", [("patient", "p1")], "p1"),
        ("Observation", [("patient", "Patient/p1"), ("code", "x")], "p1"),
        ("Observation", [("performer", "Patient/p1")], "p1"),
        ("Observation", [("subject", "p1")], None),
        ("Observation", [("subject", "Patient/p1,Patient/p2")], None),
        ("Observation", [("focus", "Patient/p1")], None),
        ("Observation", [("subject", "Group/g")], None),
        ("Condition", [("subject", "Patient/p1")], "p1"),
        ("Patient", [("_id", "p1")], "p1"),
        ("Patient", [("link", "Patient/p0")], "p0"),
        ("Organization", [("_id", "o1")], None),
    ],
)
def test_patient_scope(rtype: str, params: list[tuple[str, str]], scope: str | None) -> None:
    compiled = compile_search(rtype, params, base_url="http://x/fhir")
    assert compiled.patient_scope == scope
    clauses = compiled.filter.get("$and", [compiled.filter])
    assert [c["cmp"] for c in clauses if "cmp" in c] == ([scope] if scope else [])


def test_implies_compartment() -> None:
    assert implies_compartment("Observation", "patient")
    assert implies_compartment("Condition", "subject")
    assert not implies_compartment("Observation", "focus")
    assert not implies_compartment("Organization", "partof")


SAMPLES = {"token": "a|b", "string": "a", "reference": "Patient/1", "date": "ge2020", "number": "1",
           "quantity": "1||mg", "uri": "http://x"}


def _sample(param) -> str:  # type: ignore[no-untyped-def]
    if param.type == "composite":
        return "$".join(SAMPLES[c.type] for c in param.components)
    return SAMPLES[param.type]


def test_every_supported_parameter_of_every_type_compiles() -> None:
    from fhir_server.search.parameters import search_params, searchable_types

    count = 0
    for rtype in sorted(searchable_types()):
        for code, param in search_params(rtype).items():
            if not param.extractable or code in ("_id", "_lastUpdated"):
                continue
            compiled = compile_search(rtype, [(code, _sample(param))], strict=True)
            assert f"'p': '{code}" in str(compiled.filter)
            count += 1
    assert count > 2000
