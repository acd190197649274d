"""Token search parameters (http://hl7.org/fhir/R4/search.html#token).

Stored: ``{p, v: code, s: system}`` (``s`` absent when the value has no system), plus ``x``, the
folded display text used by ``:text`` (CodeableConcept.text, else Coding.display; Identifier.type.text).

- code, string, uri, id: ``v`` is the value; boolean: ``"true"`` / ``"false"``;
- Coding: one entry (system, code); CodeableConcept: one entry per coding;
- Identifier: (system, value); ContactPoint: the value only: its ``system`` is a kind
  (phone, email...), not a URI, and the official phone/email parameters already filter on it.

Searched: ``[code]``, ``[system]|[code]``, ``|[code]`` (no system) and ``[system]|`` (any code).
"""

from __future__ import annotations

from typing import Any

from ..errors import BadRequest
from .parameters import SearchParam
from .string import fold
from .syntax import QueryOptions, split_escaped, unescape

#: ContactPoint.system codes (http://hl7.org/fhir/R4/valueset-contact-point-system.html).
CONTACT_SYSTEMS = frozenset({"phone", "fax", "email", "pager", "url", "sms", "other"})


def _entry(code: str, value: Any, system: Any, text: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"p": code, "v": value}
    if isinstance(system, str) and system:
        entry["s"] = system
    if isinstance(text, str) and text:
        entry["x"] = fold(text)
    return entry


def _codeable_concept(code: str, concept: dict[str, Any]) -> list[dict[str, Any]]:
    text = concept.get("text")
    codings = [c for c in concept.get("coding") or () if isinstance(c, dict)]
    entries = [
        _entry(code, c["code"], c.get("system"), text or c.get("display"))
        for c in codings
        if isinstance(c.get("code"), str)
    ]
    if not entries and isinstance(text, str) and text:
        entries.append({"p": code, "x": fold(text)})
    return entries


def _of(code: str, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, bool):
        return [{"p": code, "v": "true" if value else "false"}]
    if isinstance(value, str):
        return [{"p": code, "v": value}] if value else []
    if not isinstance(value, dict):
        return []
    if "coding" in value or ("text" in value and "code" not in value and "value" not in value):
        return _codeable_concept(code, value)
    if isinstance(value.get("code"), str):
        return [_entry(code, value["code"], value.get("system"), value.get("display"))]
    if isinstance(value.get("value"), str):
        system = value.get("system")
        if system in CONTACT_SYSTEMS:
            system = None
        type_text = (value.get("type") or {}).get("text") if isinstance(value.get("type"), dict) else None
        return [_entry(code, value["value"], system, type_text)]
    return []


def normalise(code: str, values: list[Any]) -> list[dict[str, Any]]:
    return [entry for value in values for entry in _of(code, value)]


def sort_key(entries: list[dict[str, Any]]) -> Any:
    return next((e["v"] for e in entries if "v" in e), None)


def parse(code: str, raw: str) -> tuple[str | None, str | None]:
    """``system|code`` -> (system, code); ``""`` means "explicitly none", None means "any"."""
    parts = split_escaped(raw, "|")
    if len(parts) == 1:
        return None, unescape(parts[0])
    if len(parts) == 2:
        return unescape(parts[0]), unescape(parts[1]) or None
    raise BadRequest(f"Too many '|' in the value of search parameter {code!r}")


def conditions(param: SearchParam, raw: str, options: QueryOptions) -> list[dict[str, Any]]:
    system, value = parse(param.code, raw)
    condition: dict[str, Any] = {}
    if value is not None:
        condition["v"] = value
    if system == "":
        condition["s"] = {"$exists": False}
    elif system is not None:
        condition["s"] = system
    if not condition:
        raise BadRequest(f"Empty token in search parameter {param.code!r}")
    return [condition]
