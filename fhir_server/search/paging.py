"""Keyset paging: a page link carries the sort values of the row it continues from.

Offsets drift when resources are written between two page requests; a keyset cursor does not
(http://hl7.org/fhir/R4/http.html#paging leaves the mechanism to the server). The cursor is an
opaque base64url JSON of the boundary row's sort values and the direction.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from fhir_server.errors import BadRequest

Sort = list[tuple[str, int]]


def encode_cursor(values: list[Any], direction: str) -> str:
    payload = [_encode_value(v) for v in values]
    raw = json.dumps({"v": payload, "d": direction}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, width: int) -> tuple[list[Any], str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        values = [_decode_value(v) for v in data["v"]]
        direction = data["d"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("The paging cursor is not valid; start the search again") from exc
    if direction not in ("next", "prev") or len(values) != width:
        raise BadRequest("The paging cursor does not belong to this search; start the search again")
    return values, direction


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$d": value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        return datetime.fromisoformat(value["$d"])
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError("cursor value out of range")  # MongoDB cannot compare with it
    if isinstance(value, (str, int, float)) or value is None:
        return value
    raise ValueError("unexpected cursor value")


def row_values(doc: dict[str, Any], sort: Sort) -> list[Any]:
    return [_lookup(doc, field) for field, _ in sort]


def _lookup(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def reverse(sort: Sort) -> Sort:
    return [(field, -direction) for field, direction in sort]


def after(sort: Sort, values: list[Any]) -> dict[str, Any]:
    """Filter for rows strictly after ``values`` in ``sort`` order (missing values sort lowest)."""
    alternatives: list[dict[str, Any]] = []
    for position, (field, direction) in enumerate(sort):
        equal = {f: _equal(v) for (f, _), v in zip(sort[:position], values[:position], strict=True)}
        for beyond in _beyond(values[position], direction):
            alternatives.append({**equal, field: beyond})
    return {"$or": alternatives} if alternatives else {"_id": {"$exists": False}}


def _equal(value: Any) -> Any:
    return value  # None matches a missing field too, which is how missing sort keys compare


def _beyond(value: Any, direction: int) -> list[Any]:
    """Conditions on one field for "strictly later"; MongoDB sorts a missing value lowest."""
    if direction > 0:
        return [{"$ne": None}] if value is None else [{"$gt": value}]
    if value is None:
        return []  # in descending order nothing comes after a missing value
    return [{"$lt": value}, None]
