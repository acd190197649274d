"""``_sort`` and ``_count`` (http://hl7.org/fhir/R4/search.html#sort, #count).

``_sort=status,-date`` sorts by several parameters, ``-`` meaning descending; a repeated
``_sort`` adds keys after the earlier ones. Each parameter sorts on its write-time sort key
``s.<code>`` (docs/storage.md: a date by its earliest instant, a number or quantity by its
smallest value, other types by their first value); ``_id`` and ``_lastUpdated`` sort on the
document fields. ``_id`` always ends the sort, so that keyset paging has a total order.
"""

from __future__ import annotations

from ..errors import BadRequest
from .parameters import search_param

Sort = list[tuple[str, int]]

DEFAULT_SORT: Sort = [("_id", 1)]


def _field(resource_type: str, code: str) -> str:
    if code == "_id":
        return "_id"
    if code == "_lastUpdated":
        return "lu"
    param = search_param(resource_type, code)
    if param is None or not param.extractable or param.type == "composite":
        raise BadRequest(f"_sort: cannot sort on {code!r}: not a sortable search parameter of {resource_type}")
    return f"s.{code}"


def parse_sort(resource_type: str, raw: list[str]) -> Sort:
    """``_sort=-date,code`` -> ``[("s.date", -1), ("s.code", 1), ("_id", 1)]``."""
    keys = [k.strip() for r in raw for k in r.split(",") if k.strip()]
    sort: Sort = []
    for key in keys:
        direction = -1 if key.startswith("-") else 1
        field = _field(resource_type, key.lstrip("-"))
        if any(f == field for f, _ in sort):
            raise BadRequest(f"_sort: {key.lstrip('-')!r} is given twice")
        sort.append((field, direction))
    if not any(field == "_id" for field, _ in sort):
        sort.append(("_id", 1))
    return sort


def parse_count(raw: list[str]) -> int | None:
    if not raw or raw[-1] == "":
        return None
    try:
        count = int(raw[-1])
    except ValueError:
        count = -1
    if count < 0:
        raise BadRequest(f"_count must be a non-negative integer, got {raw[-1]!r}")
    return count
