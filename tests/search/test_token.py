"""Token normalisation and matching (http://hl7.org/fhir/R4/search.html#token)."""

from __future__ import annotations

import pytest

from fhir_server.errors import BadRequest
from fhir_server.search import token
from fhir_server.search.parameters import search_param
from fhir_server.search.syntax import QueryOptions

from .matcher import any_matches

LOINC = "http://loinc.org"


def test_primitives() -> None:
    assert token.normalise("t", ["final", True, False, "", 3]) == [
        {"p": "t", "v": "final"}, {"p": "t", "v": "true"}, {"p": "t", "v": "false"},
    ]


def test_codeable_concept_gives_one_entry_per_coding_with_its_text() -> None:
    concept = {
        "coding": [{"system": LOINC, "code": "8302-2", "display": "Body height"}, {"code": "local"}],
        "text": "Größe",
    }
    assert token.normalise("code", [concept]) == [
        {"p": "code", "v": "8302-2", "s": LOINC, "x": "große"},
        {"p": "code", "v": "local", "x": "große"},
    ]
    assert token.normalise("code", [{"text": "Only text"}]) == [{"p": "code", "x": "only text"}]


def test_coding_identifier_and_contact_point() -> None:
    coding = {"system": "http://s", "code": "c", "display": "Shown"}
    identifier = {"system": "urn:oid:1.2", "value": "123", "type": {"text": "MHI policy"}}
    phone = {"system": "phone", "value": "+7 495 000", "use": "work"}
    assert token.normalise("t", [coding, identifier, phone, {"value": "bare"}]) == [
        {"p": "t", "v": "c", "s": "http://s", "x": "shown"},
        {"p": "t", "v": "123", "s": "urn:oid:1.2", "x": "mhi policy"},
        {"p": "t", "v": "+7 495 000"},
        {"p": "t", "v": "bare"},
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8302-2", {"v": "8302-2"}),
        ("http://loinc.org|8302-2", {"v": "8302-2", "s": LOINC}),
        ("|8302-2", {"v": "8302-2", "s": {"$exists": False}}),
        ("http://loinc.org|", {"s": LOINC}),
        (r"a\|b", {"v": "a|b"}),
        (r"x\,y", {"v": "x,y"}),
    ],
)
def test_query_forms(raw: str, expected: dict) -> None:
    param = search_param("Observation", "code")
    assert param is not None
    assert token.conditions(param, raw, QueryOptions()) == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("8302-2", True), ("http://loinc.org|8302-2", True), ("|8302-2", False), ("http://loinc.org|", True),
     ("http://snomed.info/sct|8302-2", False), ("8302", False)],
)
def test_matching(raw: str, expected: bool) -> None:
    param = search_param("Observation", "code")
    assert param is not None
    entries = token.normalise("code", [{"coding": [{"system": LOINC, "code": "8302-2"}]}])
    assert any_matches(entries, token.conditions(param, raw, QueryOptions())) is expected


def test_too_many_bars_is_a_bad_request() -> None:
    param = search_param("Observation", "code")
    assert param is not None
    with pytest.raises(BadRequest, match="'code'"):
        token.conditions(param, "a|b|c", QueryOptions())
