"""Date normalisation and comparison (http://hl7.org/fhir/R4/search.html#date)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fhir_server.errors import BadRequest
from fhir_server.search import date
from fhir_server.search.date import FAR_FUTURE, FAR_PAST, normalise, parse_range
from fhir_server.search.parameters import search_param
from fhir_server.search.syntax import QueryOptions

from .matcher import any_matches

UTC = UTC


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2019", at(2019, 1, 1), at(2019, 12, 31, 23, 59, 59, 999000)),
        ("2020-02", at(2020, 2, 1), at(2020, 2, 29, 23, 59, 59, 999000)),
        ("2019-12", at(2019, 12, 1), at(2019, 12, 31, 23, 59, 59, 999000)),
        ("2019-03-04", at(2019, 3, 4), at(2019, 3, 4, 23, 59, 59, 999000)),
        ("2019-03-04T10:20:30Z", at(2019, 3, 4, 10, 20, 30), at(2019, 3, 4, 10, 20, 30, 999000)),
        ("2019-03-04T10:20:30+03:00", at(2019, 3, 4, 7, 20, 30), at(2019, 3, 4, 7, 20, 30, 999000)),
        ("2019-03-04T10:20:30", at(2019, 3, 4, 10, 20, 30), at(2019, 3, 4, 10, 20, 30, 999000)),
        ("2019-03-04T10:20:30.1234-05:00", at(2019, 3, 4, 15, 20, 30, 123000),
         at(2019, 3, 4, 15, 20, 30, 123000)),
        ("2019-03-04T10:20", at(2019, 3, 4, 10, 20), at(2019, 3, 4, 10, 20, 59, 999000)),
        ("9999", at(9999, 1, 1), FAR_FUTURE),
    ],
)
def test_precision_defines_the_range(text: str, low: datetime, high: datetime) -> None:
    assert parse_range(text) == (low, high)


@pytest.mark.parametrize("text", ["", "19", "2019-13", "2019-02-30", "2019-01-01T25:00:00Z", "2019/01/01", "x"])
def test_malformed_dates_have_no_range(text: str) -> None:
    assert parse_range(text) is None


def test_period_with_open_ends_reaches_far_past_and_future() -> None:
    entries = normalise("date", [{"start": "2019-05"}, {"end": "2018"}, {}])
    assert entries == [
        {"p": "date", "lo": at(2019, 5, 1), "hi": FAR_FUTURE},
        {"p": "date", "lo": FAR_PAST, "hi": at(2018, 12, 31, 23, 59, 59, 999000)},
    ]


def test_timing_uses_the_outer_limits_of_events_and_bounds() -> None:
    timing = {"event": ["2019-03-01", "2019-01-10"], "repeat": {"boundsPeriod": {"end": "2019-06-01"}}}
    (entry,) = normalise("date", [timing])
    assert entry["lo"] == FAR_PAST  # the bounds have no start
    assert entry["hi"] == at(2019, 6, 1, 23, 59, 59, 999000)
    (events,) = normalise("date", [{"event": ["2019-03-01", "2019-01-10"]}])
    assert (events["lo"], events["hi"]) == (at(2019, 1, 10), at(2019, 3, 1, 23, 59, 59, 999000))


def test_non_dates_are_skipped() -> None:
    assert normalise("date", ["not a date", 12, {"value": 3}]) == []


def _search(value: str, stored: list[str], now: datetime | None = None) -> bool:
    param = search_param("Observation", "date")
    assert param is not None
    options = QueryOptions(now=now or at(2024, 1, 1))
    return any_matches(normalise("date", stored), date.conditions(param, value, options))


# Stored June 2019 (a month range) against searches, per the prefix definitions of search.html.
@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("2019", True), ("eq2019", True), ("2019-06", True), ("2019-06-15", False),
        ("ne2019-06-15", True), ("ne2019", False),
        ("gt2019-06-15", True), ("gt2019-06", False), ("gt2019-05", True),
        ("lt2019-06-15", True), ("lt2019-06", False), ("lt2019-07", True),
        ("ge2019-06", True), ("ge2019-06-15", True), ("ge2019-07", False),
        ("le2019-06", True), ("le2019-06-15", True), ("le2019-05", False),
        ("sa2019-05", True), ("sa2019-06-15", False), ("eb2019-07", True), ("eb2019-06-15", False),
        ("ap2019-06-10", True), ("ap2015", False),
    ],
)
def test_prefixes_compare_ranges(search: str, expected: bool) -> None:
    assert _search(search, ["2019-06"]) is expected


def test_ap_widens_by_a_tenth_of_the_distance_from_now() -> None:
    now = at(2020, 1, 1)
    assert _search("ap2010-01-01", ["2009-03-01"], now)  # within ~1 year of a 10-year distance
    assert not _search("ap2010-01-01", ["2007-06-01"], now)


def test_time_zones_are_compared_in_utc() -> None:
    assert _search("2019-06-01T03:00:00+03:00", ["2019-06-01T00:00:00Z"])
    assert not _search("2019-06-01T03:00:00Z", ["2019-06-01T00:00:00Z"])


def test_bad_values_name_the_parameter() -> None:
    param = search_param("Observation", "date")
    assert param is not None
    for bad in ("2019-13-01", "xx2019", "tomorrow", "gt"):
        with pytest.raises(BadRequest, match="'date'"):
            date.conditions(param, bad, QueryOptions())


def test_point_conditions_for_last_updated() -> None:
    low, high = at(2020, 1, 1), at(2020, 1, 1) + timedelta(days=1) - timedelta(milliseconds=1)
    assert date.point_conditions("lu", "ge", low, high) == [{"lu": {"$gte": low}}]
    assert date.point_conditions("lu", "eq", low, high) == [{"lu": {"$gte": low, "$lte": high}}]
