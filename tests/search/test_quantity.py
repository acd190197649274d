"""Quantity normalisation and comparison (http://hl7.org/fhir/R4/search.html#quantity)."""

from __future__ import annotations

import math

import pytest

from fhir_server.errors import BadRequest
from fhir_server.search import quantity
from fhir_server.search.parameters import search_param
from fhir_server.search.syntax import QueryOptions

from .matcher import any_matches

PARAM = search_param("Observation", "value-quantity")
UCUM = "http://unitsofmeasure.org"


def test_quantities_store_value_system_code_and_unit() -> None:
    stored = {"value": 5.4, "unit": "mg", "system": UCUM, "code": "mg"}
    assert quantity.normalise("q", [stored]) == [{"p": "q", "lo": 5.4, "hi": 5.4, "s": UCUM, "c": "mg", "u": "mg"}]


def test_money_age_and_range() -> None:
    money = {"value": 10, "currency": "EUR"}
    age = {"value": 3, "unit": "yr", "system": UCUM, "code": "a"}
    rng = {"low": {"value": 1, "unit": "mg"}, "high": {"value": 2, "unit": "mg"}}
    assert quantity.normalise("q", [money, age, rng, {"high": {"value": 7}}, {"origin": {}}]) == [
        {"p": "q", "lo": 10.0, "hi": 10.0, "s": quantity.CURRENCIES, "c": "EUR"},
        {"p": "q", "lo": 3.0, "hi": 3.0, "s": UCUM, "c": "a", "u": "yr"},
        {"p": "q", "lo": 1.0, "hi": 2.0, "u": "mg"},
        {"p": "q", "lo": -math.inf, "hi": 7.0},
    ]


def _search(value: str, stored: dict) -> bool:
    assert PARAM is not None
    entries = quantity.normalise("value-quantity", [stored])
    return any_matches(entries, quantity.conditions(PARAM, value, QueryOptions()))


MG = {"value": 5.4, "unit": "milligram", "system": UCUM, "code": "mg"}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("5.4", True), ("5.4|http://unitsofmeasure.org|mg", True), ("5.4|http://other|mg", False),
        ("5.4||mg", True), ("5.4||milligram", True), ("5.4||g", False), ("5.4|http://unitsofmeasure.org|", True),
        ("gt5|http://unitsofmeasure.org|mg", True), ("lt5|http://unitsofmeasure.org|mg", False),
        ("5.40", True), ("5.41", False), ("ap5", True), ("ne5.4||mg", False),
    ],
)
def test_value_and_units(search: str, expected: bool) -> None:
    assert _search(search, MG) is expected


@pytest.mark.parametrize("bad", ["5|mg", "x5", "5|a|b|c", "abc||mg"])
def test_bad_values_name_the_parameter(bad: str) -> None:
    assert PARAM is not None
    with pytest.raises(BadRequest, match="'value-quantity'"):
        quantity.conditions(PARAM, bad, QueryOptions())
