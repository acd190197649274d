"""String search parameters (http://hl7.org/fhir/R4/search.html#string).

"By default, a field matches a string query if the value of the field equals or starts with the
supplied parameter value, after both have been normalized by case and accent." We store each
string part normalised in ``v`` (lower case, combining accents removed) and search with an
anchored, escaped regular expression, which MongoDB answers from the ``type_value`` index.

HumanName is searched on ``family``, ``given``, ``prefix``, ``suffix`` and ``text``; Address on
all its parts: each part is its own entry, so ``name=jo`` finds ``given: John``.

Modifiers (http://hl7.org/fhir/R4/search.html#string):

- ``:exact``: the whole part, case and accent sensitive. Entries keep the original text in ``e``
  when it differs from the folded ``v`` (so ``e`` absent means "equal to ``v``"); the query
  pins ``v`` (an index bound) and checks ``e``;
- ``:contains``: the folded text anywhere in the part (an unanchored regex, still read from the
  index keys of the parameter).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from ..errors import BadRequest
from .parameters import SearchParam
from .syntax import QueryOptions, unescape
from .types import register

#: The string parts of HumanName and Address (http://hl7.org/fhir/R4/datatypes.html).
PART_KEYS = (
    "text", "family", "given", "prefix", "suffix",
    "line", "city", "district", "state", "postalCode", "country",
)

# Cyrillic "й" is a letter of its own, not an accented "и": keep it through NFKD.
_SHORT_I, _PLACEHOLDER = "й", "\ue000"


def fold(text: str) -> str:
    """Lower case without accents: the normal form of stored and searched strings."""
    if text.isascii():
        return text.lower()
    protected = text.lower().replace(_SHORT_I, _PLACEHOLDER)
    decomposed = unicodedata.normalize("NFKD", protected)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace(_PLACEHOLDER, _SHORT_I)


def _parts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        parts: list[str] = []
        for key in PART_KEYS:
            part = value.get(key)
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, list):
                parts.extend(p for p in part if isinstance(p, str))
        return parts
    return []


def _entry(code: str, part: str) -> dict[str, Any]:
    folded = fold(part)
    return {"p": code, "v": folded} if folded == part else {"p": code, "v": folded, "e": part}


def normalise(code: str, values: list[Any]) -> list[dict[str, Any]]:
    return [_entry(code, part) for value in values for part in _parts(value) if part.strip()]


def sort_key(entries: list[dict[str, Any]]) -> Any:
    return entries[0]["v"]


#: Longest text searched with a regular expression: MongoDB refuses patterns past a size (a 500).
MAX_REGEX_TEXT = 2048


def regex_escape(text: str) -> str:
    """Escape every ASCII punctuation character, so user text is never a regex operator; a NUL
    (which MongoDB refuses inside a pattern) is written ``\\x00``. Over :data:`MAX_REGEX_TEXT`
    characters the search value is a 400."""
    if len(text) > MAX_REGEX_TEXT:
        raise BadRequest(f"A search value of {len(text)} characters is too long (at most {MAX_REGEX_TEXT})")
    return "".join(
        "\\x00" if c == "\x00" else "\\" + c if c.isascii() and not c.isalnum() and c != " " else c
        for c in text)


def conditions(param: SearchParam, raw: str, options: QueryOptions, modifier: str = "") -> list[dict[str, Any]]:
    """Starts-with, case and accent insensitive: an anchored regex on the folded value."""
    text = unescape(raw)
    if modifier == "exact":
        folded = fold(text)
        return [{"v": folded, "e": {"$exists": False}} if folded == text else {"v": folded, "e": text}]
    if modifier == "contains":
        return [{"v": {"$regex": regex_escape(fold(text))}}]
    if modifier:
        raise BadRequest(f"Search parameter {param.code!r}: unknown modifier ':{modifier}' for a string")
    return [{"v": {"$regex": "^" + regex_escape(fold(text))}}]


register("string", conditions, normalise, sort_key)
