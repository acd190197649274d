"""Reference search parameters (http://hl7.org/fhir/R4/search.html#reference).

Stored: ``{p, v}`` where ``v`` is ``Type/id`` for a relative reference (a version suffix
``/_history/n`` is dropped: a search matches the resource, not one version), an absolute URL as
given (ours are made relative first when the base URL is known), a canonical as given plus its
version-less form (``url|1.0`` and ``url``, http://hl7.org/fhir/R4/search.html#versions), and
``Type/id`` for a resource itself (``Bundle.entry[0].resource``). Contained references (``#x``) and
references with only an identifier are not indexed (``:identifier`` and ``_contained`` come later).

Searched: ``[type]/[id]``, an absolute URL, or a bare ``[id]``, which means any of the parameter's
target types. Modifiers (http://hl7.org/fhir/R4/search.html#reference):

- ``:[type]`` (``subject:Patient=123``): the bare id names a resource of that type;
- ``:identifier`` (``subject:identifier=[system]|[value]``): a token search on
  ``Reference.identifier``, stored as ``{p: "<code>:identifier", v: value, s: system}``;
- chaining (``subject.name=...``) is :mod:`.chain`'s.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from fhir_server.spec.resource_types import is_resource_type

from ..errors import BadRequest
from . import token
from .parameters import SearchParam
from .string import regex_escape
from .syntax import QueryOptions, unescape
from .types import register

_LITERAL = re.compile(
    r"^(?:(?P<base>.+)/)?(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})"
    r"(?:/_history/[A-Za-z0-9\-.]{1,64})?$"
)


def is_reference_to(node: dict[str, Any], type_name: str) -> bool:
    """``resolve() is T`` without resolving: the reference's literal type, else ``Reference.type``."""
    reference = node.get("reference")
    if isinstance(reference, str):
        parsed = _parse(reference)
        if parsed is not None:
            return parsed[0] == type_name
    return node.get("type") == type_name


def literal(reference: str) -> str:
    """The indexed form of a reference string (see module docstring)."""
    parsed = _parse(reference)
    return reference if parsed is None else parsed[1]


# A bundle's resources name the same few patients, encounters and practitioners over and over,
# and each reference goes through several parameters (subject, patient...): parse each once.
@lru_cache(maxsize=16384)
def _parse(reference: str) -> tuple[str, str] | None:
    """(type, indexed form) of a literal reference; None if it is not ``[base/]Type/id[/_history/n]``."""
    match = _LITERAL.match(reference)
    if match is None:
        return None
    relative = f"{match.group('type')}/{match.group('id')}"
    base = match.group("base")
    return match.group("type"), f"{base}/{relative}" if base else relative


def localise(value: str, base_url: str | None) -> str:
    """``{base_url}/Patient/1`` -> ``Patient/1``: our own absolute URLs mean the relative form."""
    if base_url and value.startswith(base_url + "/"):
        rest = value[len(base_url) + 1 :]
        match = _LITERAL.match(rest)
        if match and not match.group("base"):
            return literal(rest)
    return value


def _values_of(value: Any) -> list[str]:
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str):
            return [] if reference.startswith("#") or not reference else [literal(reference)]
        if "resourceType" in value and isinstance(value.get("id"), str):
            return [f"{value['resourceType']}/{value['id']}"]
        return []
    if isinstance(value, str) and value:
        if "|" in value:
            return [value, value.split("|", 1)[0]]
        return [value]
    return []


def _identifier(code: str, value: Any) -> list[dict[str, Any]]:
    identifier = value.get("identifier") if isinstance(value, dict) else None
    if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
        return []
    entry = {"p": f"{code}:identifier", "v": identifier["value"]}
    if isinstance(identifier.get("system"), str):
        entry["s"] = identifier["system"]
    return [entry]


def normalise(code: str, values: list[Any]) -> list[dict[str, Any]]:
    entries = [{"p": code, "v": v} for value in values for v in _values_of(value)]
    return entries + [e for value in values for e in _identifier(code, value)]


def sort_key(entries: list[dict[str, Any]]) -> Any:
    for entry in entries:  # a loop, not next(genexpr): this runs for most parameters of every write
        if ":" not in entry["p"]:
            return entry["v"]
    return None


def typed(param: SearchParam, type_name: str) -> str:
    """Check a ``:[type]`` modifier: a resource type the parameter may point to."""
    allowed = param.targets
    if not is_resource_type(type_name) or (allowed and type_name not in allowed and "Resource" not in allowed):
        raise BadRequest(f"Search parameter {param.code!r}: {type_name!r} is not a target type of it")
    return type_name


def conditions(param: SearchParam, raw: str, options: QueryOptions, modifier: str = "") -> list[dict[str, Any]]:
    """The ``$elemMatch`` alternatives matching one reference search value."""
    if modifier == "identifier":
        return [{"p": f"{param.code}:identifier", **c} for c in token.conditions(param, raw, options)]
    value = localise(unescape(raw), options.base_url)
    if modifier and modifier[:1].isupper():
        type_name = typed(param, modifier)
        if "/" not in value and ":" not in value:
            return [{"v": f"{type_name}/{value}"}]
        if not literal(value).startswith(type_name + "/"):
            raise BadRequest(f"Search parameter '{param.code}:{type_name}': {value!r} is not a {type_name}")
        return [{"v": literal(value)}]
    if modifier:
        raise BadRequest(f"Search parameter {param.code!r}: unknown modifier ':{modifier}' for a reference")
    if "/" in value or ":" in value:
        return [{"v": literal(value)}]
    if param.targets:
        candidates = [f"{target}/{value}" for target in param.targets]
        return [{"v": candidates[0]} if len(candidates) == 1 else {"v": {"$in": candidates}}]
    return [{"v": {"$regex": f"^[A-Za-z]+/{regex_escape(value)}$"}}]


def single_target(param: SearchParam, raw: str, options: QueryOptions, modifier: str = "") -> str | None:
    """``Type/id`` if the search value names exactly one resource (used for patient scoping)."""
    value = localise(unescape(raw), options.base_url)
    if modifier[:1].isupper() and "/" not in value and ":" not in value:
        return f"{modifier}/{value}"
    if modifier and not modifier[:1].isupper():
        return None
    if "/" in value or ":" in value:
        match = _LITERAL.match(value)
        return literal(value) if match and not match.group("base") else None
    return f"{param.targets[0]}/{value}" if len(param.targets) == 1 else None


register("reference", conditions, normalise, sort_key)
