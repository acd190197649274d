"""Number normalisation and comparison (http://hl7.org/fhir/R4/search.html#number)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from fhir_server.errors import BadRequest
from fhir_server.search import number
from fhir_server.search.parameters import search_param
from fhir_server.search.syntax import QueryOptions

from .matcher import any_matches

PARAM = search_param("RiskAssessment", "probability")


def test_values_are_points_and_ranges_keep_their_ends() -> None:
    assert number.normalise("n", [3, 2.5, Decimal("1.25")]) == [
        {"p": "n", "lo": 3.0, "hi": 3.0}, {"p": "n", "lo": 2.5, "hi": 2.5}, {"p": "n", "lo": 1.25, "hi": 1.25},
    ]
    assert number.normalise("n", [{"low": {"value": 1}, "high": {"value": 2}}, {"low": {"value": 4}}]) == [
        {"p": "n", "lo": 1.0, "hi": 2.0}, {"p": "n", "lo": 4.0, "hi": math.inf},
    ]
    assert number.normalise("n", [True, "12", None, {"low": {}}]) == []


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [("100", 99.5, 100.5), ("100.00", 99.995, 100.005), ("1e2", 50, 150), ("-0.5", -0.55, -0.45), ("0", -0.5, 0.5)],
)
def test_search_precision_is_implicit_in_the_value(text: str, low: float, high: float) -> None:
    value, lo, hi = number.parse_number("n", text)
    assert value == float(text)
    assert (lo, hi) == pytest.approx((low, high))


def _search(value: str, stored: object) -> bool:
    assert PARAM is not None
    return any_matches(number.normalise("probability", [stored]), number.conditions(PARAM, value, QueryOptions()))


@pytest.mark.parametrize(
    ("search", "stored", "expected"),
    [
        ("100", 100, True), ("100", 99.5, True), ("100", 100.49, True), ("100", 100.5, False),
        ("100", 99.4, False), ("100.00", 100.004, True), ("100.00", 100.01, False),
        ("ne100", 100.2, False), ("ne100", 101, True),
        ("gt100", 100.01, True), ("gt100", 100, False), ("ge100", 100, True), ("ge100", 99.99, False),
        ("lt100", 99.9, True), ("lt100", 100, False), ("le100", 100, True), ("le100", 100.1, False),
        ("sa100", 101, True), ("eb100", 99, True), ("eb100", 100, False),
        ("ap100", 109, True), ("ap100", 111, False),
    ],
)
def test_prefixes(search: str, stored: float, expected: bool) -> None:
    assert _search(search, stored) is expected


def test_ranges_are_compared_as_ranges() -> None:
    stored = {"low": {"value": 90}, "high": {"value": 110}}
    assert _search("gt100", stored) and _search("lt100", stored)
    assert not _search("100", stored) and _search("ne100", stored)


@pytest.mark.parametrize("bad", ["abc", "1,5", "gtx", "NaN", "zz5", "--1", ""])
def test_bad_numbers_name_the_parameter(bad: str) -> None:
    assert PARAM is not None
    with pytest.raises(BadRequest, match="'probability'"):
        number.conditions(PARAM, bad, QueryOptions())
