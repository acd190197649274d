"""A tiny evaluator of the MongoDB conditions our builders emit, for unit tests without a server.

It covers only what the builders use (``$gt $gte $lt $lte $in $exists $regex $ne $or $and``);
the integration tests check the same semantics against a real mongod.
"""

from __future__ import annotations

import re
from typing import Any

_MISSING = object()


def _operator(value: Any, op: str, arg: Any) -> bool:
    if op == "$exists":
        return (value is not _MISSING) == arg
    if op == "$ne":
        return value != arg
    if value is _MISSING:
        return False
    if op == "$in":
        return value in arg
    if op == "$regex":
        return re.search(arg, value) is not None
    comparisons = {
        "$gt": lambda: value > arg, "$gte": lambda: value >= arg,
        "$lt": lambda: value < arg, "$lte": lambda: value <= arg,
    }
    return comparisons[op]()


def matches(doc: dict[str, Any], condition: dict[str, Any]) -> bool:
    """Whether one index entry (or document) satisfies ``condition``."""
    for key, want in condition.items():
        if key == "$or":
            if not any(matches(doc, c) for c in want):
                return False
            continue
        if key == "$and":
            if not all(matches(doc, c) for c in want):
                return False
            continue
        value = doc.get(key, _MISSING)
        if isinstance(want, dict) and want and all(k.startswith("$") for k in want):
            if not all(_operator(value, op, arg) for op, arg in want.items()):
                return False
        elif value != want:
            return False
    return True


def any_matches(entries: list[dict[str, Any]], alternatives: list[dict[str, Any]]) -> bool:
    """Whether some entry satisfies some ``$elemMatch`` alternative (a comma-free search value)."""
    return any(matches(e, alt) for e in entries for alt in alternatives)
