"""Date search parameters (http://hl7.org/fhir/R4/search.html#date).

Every date is a range: "the precision of the value defines the range", so ``2019`` covers
2019-01-01T00:00:00.000 to 2019-12-31T23:59:59.999. We store each value as its inclusive UTC
instant range ``{p, lo, hi}`` at millisecond precision (BSON dates), and compare ranges:

- ``eq``: the search range fully contains the stored range; ``ne``: it does not;
- ``gt`` / ``lt``: the stored range reaches above / below the search range;
- ``ge`` / ``le``: ``gt`` / ``lt`` or ``eq``;
- ``sa`` / ``eb``: the stored range starts after / ends before the search range;
- ``ap``: the ranges overlap once the search range is widened by 10% of its distance from now.

A dateTime without a time zone is taken as UTC. Period: ``start`` to ``end``, an open end reaching
to the far past or future. Timing: only the outer limits of its events and bounds matter.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from ..errors import BadRequest
from .parameters import SearchParam
from .syntax import QueryOptions, no_modifier, split_prefix, unescape
from .types import register

UTC = UTC
MS = timedelta(milliseconds=1)
FAR_PAST = datetime(1, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)

_DATE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?"
)

Range = tuple[datetime, datetime]


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def _next_month(year: int, month: int) -> datetime | None:
    if year == 9999 and month == 12:
        return None  # past the last representable instant
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


@lru_cache(maxsize=65536)
def parse_range(text: str) -> Range | None:
    """The inclusive UTC range a FHIR date, dateTime or instant covers; None if malformed."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        if month is None:
            low = datetime(int(year), 1, 1, tzinfo=UTC)
            end = _next_month(int(year), 12)
        elif day is None:
            low = datetime(int(year), int(month), 1, tzinfo=UTC)
            end = _next_month(int(year), int(month))
        elif hour is None:
            low = datetime(int(year), int(month), int(day), tzinfo=UTC)
            end = low + timedelta(days=1) if low < FAR_FUTURE - timedelta(days=1) else None
        else:
            millis = int((fraction or "0")[:3].ljust(3, "0"))
            local = datetime(
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                millis * 1000, tzinfo=_zone(zone),
            )
            low = local.astimezone(UTC)
            end = low + (MS if fraction else timedelta(seconds=1) if second else timedelta(minutes=1))
    except (ValueError, OverflowError):
        return None
    return low, FAR_FUTURE if end is None else min(end - MS, FAR_FUTURE)


def _bounds(start: Any, end: Any) -> Range | None:
    low = parse_range(start) if isinstance(start, str) else None
    high = parse_range(end) if isinstance(end, str) else None
    if low is None and high is None:
        return None
    return (low[0] if low else FAR_PAST), (high[1] if high else FAR_FUTURE)


def _timing(timing: dict[str, Any]) -> Range | None:
    ranges = [parse_range(e) for e in timing.get("event") or () if isinstance(e, str)]
    repeat = timing.get("repeat")
    if isinstance(repeat, dict) and isinstance(repeat.get("boundsPeriod"), dict):
        period = repeat["boundsPeriod"]
        ranges.append(_bounds(period.get("start"), period.get("end")))
    found = [r for r in ranges if r is not None]
    if not found:
        return None
    return min(r[0] for r in found), max(r[1] for r in found)


def value_range(value: Any) -> Range | None:
    """The range of a date, dateTime, instant, Period or Timing value."""
    if isinstance(value, str):
        return parse_range(value)
    if isinstance(value, dict):
        if "start" in value or "end" in value:
            return _bounds(value.get("start"), value.get("end"))
        if "event" in value or "repeat" in value:
            return _timing(value)
    return None


def normalise(code: str, values: list[Any]) -> list[dict[str, Any]]:
    entries = []
    for value in values:
        found = value_range(value)
        if found is not None:
            entries.append({"p": code, "lo": found[0], "hi": found[1]})
    return entries


def sort_key(entries: list[dict[str, Any]]) -> Any:
    return min(e["lo"] for e in entries)


def search_range(code: str, raw: str, options: QueryOptions) -> tuple[str, datetime, datetime]:
    """Parse ``[prefix]date`` into (prefix, low, high); ``ap`` widens the range (see docstring)."""
    prefix, text = split_prefix(code, unescape(raw))
    found = parse_range(text)
    if found is None:
        raise BadRequest(f"Invalid date {text!r} in search parameter {code!r}")
    low, high = found
    if prefix == "ap":
        margin = max(abs(options.now - low), abs(options.now - high)) / 10
        low = low - margin if low - FAR_PAST > margin else FAR_PAST
        high = high + margin if FAR_FUTURE - high > margin else FAR_FUTURE
    return prefix, low, high


def range_conditions(prefix: str, low: datetime, high: datetime) -> list[dict[str, Any]]:
    """``$elemMatch`` alternatives comparing a stored ``lo..hi`` range with the search range.

    Since ``lo <= hi``, "inside" and ``eb`` also bound ``lo`` from both sides / above: redundant
    for the match, but it turns an open-ended index scan into a bounded one.
    """
    inside = {"lo": {"$gte": low, "$lte": high}, "hi": {"$lte": high}}
    table: dict[str, list[dict[str, Any]]] = {
        "eq": [inside],
        "ne": [{"lo": {"$lt": low}}, {"hi": {"$gt": high}}],
        "gt": [{"hi": {"$gt": high}}],
        "lt": [{"lo": {"$lt": low}}],
        "ge": [{"hi": {"$gt": high}}, inside],
        "le": [{"lo": {"$lt": low}}, inside],
        "sa": [{"lo": {"$gt": high}}],
        "eb": [{"lo": {"$lt": low}, "hi": {"$lt": low}}],
        "ap": [{"lo": {"$lte": high}, "hi": {"$gte": low}}],
    }
    return table[prefix]


def point_conditions(field: str, prefix: str, low: datetime, high: datetime) -> list[dict[str, Any]]:
    """The same comparisons for an instant stored in one field (``lu``, ``meta.lastUpdated``)."""
    table: dict[str, list[dict[str, Any]]] = {
        "eq": [{field: {"$gte": low, "$lte": high}}],
        "ne": [{field: {"$lt": low}}, {field: {"$gt": high}}],
        "gt": [{field: {"$gt": high}}],
        "sa": [{field: {"$gt": high}}],
        "lt": [{field: {"$lt": low}}],
        "eb": [{field: {"$lt": low}}],
        "ge": [{field: {"$gte": low}}],
        "le": [{field: {"$lte": high}}],
        "ap": [{field: {"$gte": low, "$lte": high}}],
    }
    return table[prefix]


def conditions(param: SearchParam, raw: str, options: QueryOptions, modifier: str = "") -> list[dict[str, Any]]:
    no_modifier(param.code, modifier, "date")
    return range_conditions(*search_range(param.code, raw, options))


register("date", conditions, normalise, sort_key)
