"""Number search parameters (http://hl7.org/fhir/R4/search.html#number).

Stored values are points: ``{p, lo: x, hi: x}`` (a Range value stores its low and high, an open
end reaching to infinity). The precision belongs to the search value: ``100`` means
[99.5, 100.5) and ``100.00`` means [99.995, 100.005), so ``eq`` and ``ne`` use that implicit
range, while ``gt lt ge le sa eb`` compare with the exact value ("lt100: values less than
exactly 100"). ``ap`` matches within 10% of the value (at least the implicit range).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import BadRequest
from .parameters import SearchParam
from .syntax import QueryOptions, no_modifier, split_prefix, unescape
from .types import register

INF = math.inf


def to_float(value: Any) -> float | None:
    """A JSON number (or fhirpathpy Decimal) as a float; booleans and junk are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def range_end(value: dict[str, Any], key: str) -> float | None:
    """``Range.low.value`` or ``Range.high.value``."""
    end = value.get(key)
    return to_float(end.get("value")) if isinstance(end, dict) else None


def range_bounds(value: dict[str, Any]) -> tuple[float, float] | None:
    """A Range: its low and high values, an absent end being open; None if both are absent."""
    lo, hi = range_end(value, "low"), range_end(value, "high")
    if lo is None and hi is None:
        return None
    return (-INF if lo is None else lo), (INF if hi is None else hi)


def normalise(code: str, values: list[Any]) -> list[dict[str, Any]]:
    entries = []
    for value in values:
        number = to_float(value)
        if number is not None:
            entries.append({"p": code, "lo": number, "hi": number})
        elif isinstance(value, dict) and ("low" in value or "high" in value):
            bounds = range_bounds(value)
            if bounds is not None:
                entries.append({"p": code, "lo": bounds[0], "hi": bounds[1]})
    return entries


def sort_key(entries: list[dict[str, Any]]) -> Any:
    return min(e["lo"] for e in entries)


def parse_number(code: str, text: str) -> tuple[float, float, float]:
    """``100`` -> (100, 99.5, 100.5): the value and its implicit precision range [low, high)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise BadRequest(f"Invalid number {text!r} in search parameter {code!r}") from None
    if not number.is_finite():
        raise BadRequest(f"Invalid number {text!r} in search parameter {code!r}")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    half = Decimal(5).scaleb(exponent - 1)
    return float(number), float(number - half), float(number + half)


def number_conditions(prefix: str, value: float, low: float, high: float) -> list[dict[str, Any]]:
    """``$elemMatch`` alternatives comparing a stored ``lo..hi`` with the search value."""
    if prefix == "ap":
        margin = max(abs(value) / 10, (high - low) / 2)
        return [{"lo": {"$lte": value + margin}, "hi": {"$gte": value - margin}}]
    table: dict[str, list[dict[str, Any]]] = {
        "eq": [{"lo": {"$gte": low, "$lt": high}, "hi": {"$lt": high}}],  # lo <= hi: bounded scan
        "ne": [{"lo": {"$lt": low}}, {"hi": {"$gte": high}}],
        "gt": [{"hi": {"$gt": value}}],
        "lt": [{"lo": {"$lt": value}}],
        "ge": [{"hi": {"$gte": value}}],
        "le": [{"lo": {"$lte": value}}],
        "sa": [{"lo": {"$gt": value}}],
        "eb": [{"lo": {"$lt": value}, "hi": {"$lt": value}}],
    }
    return table[prefix]


def search_number(code: str, raw: str) -> tuple[str, float, float, float]:
    prefix, text = split_prefix(code, unescape(raw).strip())
    return (prefix, *parse_number(code, text))


def conditions(param: SearchParam, raw: str, options: QueryOptions, modifier: str = "") -> list[dict[str, Any]]:
    no_modifier(param.code, modifier, "number")
    return number_conditions(*search_number(param.code, raw))


register("number", conditions, normalise, sort_key)
