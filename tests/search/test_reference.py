"""Reference normalisation and matching (http://hl7.org/fhir/R4/search.html#reference)."""

from __future__ import annotations

import pytest

from fhir_server.search import reference
from fhir_server.search.parameters import search_param
from fhir_server.search.syntax import QueryOptions

BASE = "https://emc.example/fhir"


def test_stored_forms() -> None:
    values = [
        {"reference": "Patient/123"},
        {"reference": "Patient/123/_history/4"},
        {"reference": "http://other.example/fhir/Patient/9/_history/1"},
        {"reference": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"},
        {"reference": "#contained"},
        {"identifier": {"value": "x"}},
        {"resourceType": "Composition", "id": "c1"},
        "http://hl7.org/fhir/ValueSet/example|1.0",
        "http://hl7.org/fhir/ValueSet/other",
    ]
    assert [(e["p"], e["v"]) for e in reference.normalise("r", values) if e["p"] != "r"] == [("r:identifier", "x")]
    assert [e["v"] for e in reference.normalise("r", values) if e["p"] == "r"] == [
        "Patient/123", "Patient/123",
        "http://other.example/fhir/Patient/9",
        "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0",
        "Composition/c1",
        "http://hl7.org/fhir/ValueSet/example|1.0", "http://hl7.org/fhir/ValueSet/example",
        "http://hl7.org/fhir/ValueSet/other",
    ]


@pytest.mark.parametrize(
    ("node", "type_name", "expected"),
    [
        ({"reference": "Patient/1"}, "Patient", True),
        ({"reference": "Group/1"}, "Patient", False),
        ({"reference": "http://x/fhir/Patient/1"}, "Patient", True),
        ({"reference": "urn:uuid:1", "type": "Patient"}, "Patient", True),
        ({"reference": "urn:uuid:1"}, "Patient", False),
        ({"type": "Patient", "identifier": {"value": "1"}}, "Patient", True),
    ],
)
def test_resolve_is_type(node: dict, type_name: str, expected: bool) -> None:
    assert reference.is_reference_to(node, type_name) is expected


def test_localise_only_our_base() -> None:
    assert reference.localise(f"{BASE}/Patient/1", BASE) == "Patient/1"
    assert reference.localise(f"{BASE}/Patient/1/_history/2", BASE) == "Patient/1"
    assert reference.localise("http://other/fhir/Patient/1", BASE) == "http://other/fhir/Patient/1"
    assert reference.localise(f"{BASE}/Patient/1", None) == f"{BASE}/Patient/1"


@pytest.mark.parametrize(
    ("type_name", "code", "raw", "expected"),
    [
        ("Observation", "patient", "123", [{"v": "Patient/123"}]),
        ("Observation", "subject", "Patient/123", [{"v": "Patient/123"}]),
        ("Observation", "subject", "Patient/123/_history/2", [{"v": "Patient/123"}]),
        ("Encounter", "subject", "123", [{"v": {"$in": ["Group/123", "Patient/123"]}}]),
        ("Observation", "subject", f"{BASE}/Patient/1", [{"v": "Patient/1"}]),
        ("Observation", "subject", "http://other/fhir/Patient/1", [{"v": "http://other/fhir/Patient/1"}]),
        ("Observation", "subject", "urn:uuid:abc", [{"v": "urn:uuid:abc"}]),
    ],
)
def test_query_forms(type_name: str, code: str, raw: str, expected: list) -> None:
    param = search_param(type_name, code)
    assert param is not None
    assert reference.conditions(param, raw, QueryOptions(base_url=BASE)) == expected


def test_single_target() -> None:
    options = QueryOptions(base_url=BASE)
    patient = search_param("Observation", "patient")
    subject = search_param("Observation", "subject")
    assert patient is not None and subject is not None
    assert reference.single_target(patient, "1", options) == "Patient/1"
    assert reference.single_target(subject, "1", options) is None
    assert reference.single_target(subject, "Patient/1", options) == "Patient/1"
    assert reference.single_target(subject, f"{BASE}/Patient/1", options) == "Patient/1"
    assert reference.single_target(subject, "http://other/Patient/1", options) is None
