"""URI search parameters (http://hl7.org/fhir/R4/search.html#uri).

Stored: ``{p, v: uri}`` exactly as given. Searched: exact match ("the value must match the URI
exactly"), and with modifiers:

- ``:below``: the stored URI starts with the search value (an anchored escaped regex, read from
  the ``type_value`` index);
- ``:above``: the stored URI is the search value or one of its parents, cut at ``/``
  (``http://acme.org/fhir/ValueSet/123`` finds ``http://acme.org/fhir`` and
  ``http://acme.org/fhir/ValueSet``): an ``$in`` of those prefixes.
"""

from __future__ import annotations

from typing import Any

from ..errors import BadRequest
from .parameters import SearchParam
from .string import regex_escape
from .syntax import QueryOptions, unescape
from .types import register


def normalise(code: str, values: list[Any]) -> list[dict[str, Any]]:
    return [{"p": code, "v": value} for value in values if isinstance(value, str) and value]


def sort_key(entries: list[dict[str, Any]]) -> Any:
    return entries[0]["v"]


def parents(uri: str) -> list[str]:
    """The URI and every prefix of it ending before a ``/`` of its path (not of ``scheme://``)."""
    start = uri.find("://")
    start = start + 3 if start >= 0 else 0
    found = [uri]
    cut = uri.rstrip("/")
    while (slash := cut.rfind("/")) > start:
        cut = cut[:slash]
        found += [cut, cut + "/"]
    return list(dict.fromkeys(found))


def conditions(param: SearchParam, raw: str, options: QueryOptions, modifier: str = "") -> list[dict[str, Any]]:
    value = unescape(raw)
    if modifier == "below":
        return [{"v": {"$regex": "^" + regex_escape(value)}}]
    if modifier == "above":
        return [{"v": {"$in": parents(value)}}]
    if modifier:
        raise BadRequest(f"Search parameter {param.code!r}: unknown modifier ':{modifier}' for a uri")
    return [{"v": value}]


register("uri", conditions, normalise, sort_key)
