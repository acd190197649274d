"""Quantity search parameters (http://hl7.org/fhir/R4/search.html#quantity).

Stored: ``{p, lo, hi, s: system, c: code, u: unit}``: a Quantity (Age, Duration, Count,
Distance...) is a point ``lo = hi = value``; a Range keeps its low and high; Money stores its
currency as code of ``urn:iso:std:iso:4217``. The value's comparator is not taken into account.

Searched: ``[prefix][number]|[system]|[code]`` matches system and code; ``[number]||[code]``
matches the code or the unit; a bare ``[number]`` any unit. Numbers compare as number search does
(:mod:`.number`). Units are not converted (no UCUM canonical form yet).
"""

from __future__ import annotations

from typing import Any

from ..errors import BadRequest
from .number import number_conditions, parse_number, range_bounds, range_end, to_float
from .parameters import SearchParam
from .syntax import QueryOptions, no_modifier, split_escaped, split_prefix, unescape
from .types import register

CURRENCIES = "urn:iso:std:iso:4217"


def _units(quantity: dict[str, Any]) -> dict[str, str]:
    units: dict[str, str] = {}
    for key, field in (("system", "s"), ("code", "c"), ("unit", "u")):
        if isinstance(quantity.get(key), str):
            units[field] = quantity[key]
    if isinstance(quantity.get("currency"), str):
        units["s"], units["c"] = CURRENCIES, quantity["currency"]
    return units


def _entry(code: str, value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    number = to_float(value.get("value"))
    if number is not None:
        return {"p": code, "lo": number, "hi": number, **_units(value)}
    bounds = range_bounds(value)
    if bounds is None:
        return None
    end = value["low"] if range_end(value, "low") is not None else value["high"]
    return {"p": code, "lo": bounds[0], "hi": bounds[1], **_units(end)}


def normalise(code: str, values: list[Any]) -> list[dict[str, Any]]:
    return [entry for value in values if (entry := _entry(code, value)) is not None]


def sort_key(entries: list[dict[str, Any]]) -> Any:
    return min(e["lo"] for e in entries)


def unit_conditions(system: str, unit: str) -> list[dict[str, Any]]:
    """``system|code``: both must match; ``|unit``: the code or the human unit matches."""
    if system and unit:
        return [{"s": system, "c": unit}]
    if unit:
        return [{"c": unit}, {"u": unit}]
    if system:
        return [{"s": system}]
    return [{}]


def conditions(param: SearchParam, raw: str, options: QueryOptions, modifier: str = "") -> list[dict[str, Any]]:
    no_modifier(param.code, modifier, "quantity")
    parts = split_escaped(raw, "|")
    if len(parts) not in (1, 3):
        raise BadRequest(
            f"Search parameter {param.code!r} expects [prefix]number or [prefix]number|system|code"
        )
    prefix, text = split_prefix(param.code, unescape(parts[0]).strip())
    numbers = number_conditions(prefix, *parse_number(param.code, text))
    if len(parts) == 1:
        return numbers
    units = unit_conditions(unescape(parts[1]), unescape(parts[2]))
    return [{**number, **unit} for number in numbers for unit in units]


register("quantity", conditions, normalise, sort_key)
