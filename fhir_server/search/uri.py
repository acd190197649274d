"""URI search parameters (http://hl7.org/fhir/R4/search.html#uri).

Stored: ``{p, v: uri}`` exactly as given. Searched: exact match ("the value must match the URI
exactly"); ``:below`` and ``:above`` come later.
"""

from __future__ import annotations

from typing import Any

from .parameters import SearchParam
from .syntax import QueryOptions, unescape


def normalise(code: str, values: list[Any]) -> list[dict[str, Any]]:
    return [{"p": code, "v": value} for value in values if isinstance(value, str) and value]


def sort_key(entries: list[dict[str, Any]]) -> Any:
    return entries[0]["v"]


def conditions(param: SearchParam, raw: str, options: QueryOptions) -> list[dict[str, Any]]:
    return [{"v": unescape(raw)}]
