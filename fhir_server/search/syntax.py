"""Shared syntax of search values: escaping, value lists and comparison prefixes.

- Escaping (http://hl7.org/fhir/R4/search.html#escaping): ``\\,``, ``\\|``, ``\\$`` and ``\\\\``
  stand for the literal characters; an unescaped ``,`` separates OR-ed values and an unescaped
  ``|`` separates the parts of a token or quantity.
- Prefixes (http://hl7.org/fhir/R4/search.html#prefix): ``eq ne gt lt ge le sa eb ap`` before a
  number, date or quantity value; none means ``eq``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..errors import BadRequest

PREFIXES = frozenset({"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"})

_PREFIXED = re.compile(r"([a-z]{2})(?=[0-9+\-.])")


def split_escaped(text: str, separator: str) -> list[str]:
    """Split on unescaped ``separator``; escapes are kept (unescape each part afterwards)."""
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            current.append(char)
            current.append(next(chars, ""))
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    r"""Turn ``\,`` ``\|`` ``\$`` ``\\`` back into the characters they stand for."""
    return re.sub(r"\\([,|$\\])", r"\1", text)


def values(raw: str) -> list[str]:
    """The OR-ed values of one parameter occurrence, still escaped inside (``a,b\\,c`` -> 2)."""
    return split_escaped(raw, ",")


def split_prefix(code: str, value: str) -> tuple[str, str]:
    """``ge2019`` -> (``ge``, ``2019``); no prefix means ``eq``; unknown prefixes are a 400."""
    match = _PREFIXED.match(value)
    if match:
        prefix = match.group(1)
        if prefix not in PREFIXES:
            raise BadRequest(f"Unknown prefix {prefix!r} in search parameter {code!r}")
        return prefix, value[2:]
    if value[:1].isalpha():
        raise BadRequest(f"Unknown prefix in value {value!r} of search parameter {code!r}")
    return "eq", value


@dataclass(frozen=True)
class QueryOptions:
    """What a value's meaning may depend on besides the value: the server base, the clock."""

    base_url: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def no_modifier(code: str, modifier: str, kind: str) -> None:
    """Date, number and quantity take no modifier but ``:missing`` (the compiler's)."""
    if modifier:
        raise BadRequest(f"Search parameter {code!r}: unknown modifier ':{modifier}' for a {kind}")
