"""Token search parameters (http://hl7.org/fhir/R4/search.html#token).

Stored: ``{p, v: code, s: system}`` (``s`` absent when the value has no system), plus ``x``, the
folded display text used by ``:text`` (CodeableConcept.text, else Coding.display; Identifier.type.text).

- code, string, uri, id: ``v`` is the value; boolean: ``"true"`` / ``"false"``;
- Coding: one entry (system, code); CodeableConcept: one entry per coding;
- Identifier: (system, value); ContactPoint: the value only: its ``system`` is a kind
  (phone, email...), not a URI, and the official phone/email parameters already filter on it.

Searched: ``[code]``, ``[system]|[code]``, ``|[code]`` (no system) and ``[system]|`` (any code).

Modifiers (http://hl7.org/fhir/R4/search.html#modifiers):

- ``:text``: a string search (starts-with, case and accent insensitive) on the text, at the start
  of any word of it;
- ``:not``: no value of the parameter matches (the compiler negates the match, resources without
  a value included; ``:not=a,b`` means neither ``a`` nor ``b``);
- ``:of-type`` (Identifier): ``[type system]|[type code]|[value]``; each typed identifier is also
  stored as ``{p: "<code>:of-type", v: "<type system>|<type code>|<value>"}``;
- ``:in``, ``:not-in``, ``:above``, ``:below`` need a terminology server: a 400.
"""

from __future__ import annotations

from typing import Any

from ..errors import BadRequest
from .parameters import SearchParam
from .string import fold, regex_escape
from .syntax import QueryOptions, split_escaped, unescape
from .types import register

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
        kind = value.get("type") if isinstance(value.get("type"), dict) else {}
        return [_entry(code, value["value"], system, kind.get("text")), *_of_type(code, kind, value["value"])]
    return []


def _of_type(code: str, kind: dict[str, Any], value: str) -> list[dict[str, Any]]:
    """``:of-type`` entries of an Identifier: one per coding of its type."""
    return [
        {"p": f"{code}:of-type", "v": f"{c.get('system', '')}|{c['code']}|{value}"}
        for c in kind.get("coding") or ()
        if isinstance(c, dict) and isinstance(c.get("code"), str)
    ]


def normalise(code: str, values: list[Any]) -> list[dict[str, Any]]:
    return [entry for value in values for entry in _of(code, value)]


def sort_key(entries: list[dict[str, Any]]) -> Any:
    for entry in entries:  # a loop, not next(genexpr): this runs for most parameters of every write
        if "v" in entry:
            return entry["v"]
    return None


def parse(code: str, raw: str) -> tuple[str | None, str | None]:
    """``system|code`` -> (system, code); ``""`` means "explicitly none", None means "any"."""
    parts = split_escaped(raw, "|")
    if len(parts) == 1:
        return None, unescape(parts[0])
    if len(parts) == 2:
        return unescape(parts[0]), unescape(parts[1]) or None
    raise BadRequest(f"Too many '|' in the value of search parameter {code!r}")


TERMINOLOGY_MODIFIERS = frozenset({"in", "not-in", "above", "below"})


def conditions(param: SearchParam, raw: str, options: QueryOptions, modifier: str = "") -> list[dict[str, Any]]:
    """The ``$elemMatch`` alternatives matching one token value (``:not`` is the caller's)."""
    if modifier == "text":
        return [{"x": {"$regex": "(?:^|\\s)" + regex_escape(fold(unescape(raw)))}}]
    if modifier == "of-type":
        return [_of_type_condition(param.code, raw)]
    if modifier in TERMINOLOGY_MODIFIERS:
        raise BadRequest(f"Search parameter {param.code!r}: ':{modifier}' needs a terminology server, "
                         "which this server does not have")
    if modifier not in ("", "not"):
        raise BadRequest(f"Search parameter {param.code!r}: unknown modifier ':{modifier}' for a token")
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


def _of_type_condition(code: str, raw: str) -> dict[str, Any]:
    parts = [unescape(p) for p in split_escaped(raw, "|")]
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise BadRequest(f"Search parameter '{code}:of-type' expects [type system]|[type code]|[value]")
    return {"p": f"{code}:of-type", "v": "|".join(parts)}


register("token", conditions, normalise, sort_key)
