"""An independent reading of search.html, over the bundle JSON, to check the MongoDB results.

Nothing here uses the server's extraction or query code: ranges are computed with the standard
library from the literal resource values, and prefixes follow the sentences of the spec
(http://hl7.org/fhir/R4/search.html#prefix).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from decimal import Decimal

UTC = UTC
MS = timedelta(milliseconds=1)
NEVER_BEFORE = datetime(1, 1, 1, tzinfo=UTC)
NEVER_AFTER = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)


def date_range(text: str) -> tuple[datetime, datetime]:
    """Inclusive range of YYYY, YYYY-MM, YYYY-MM-DD, or a dateTime to the minute or second."""
    if len(text) == 4:
        year = int(text)
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    if len(text) == 7:
        year, month = int(text[:4]), int(text[5:])
        last = calendar.monthrange(year, month)[1]
        return datetime(year, month, 1, tzinfo=UTC), datetime(year, month, last, 23, 59, 59, 999000, tzinfo=UTC)
    if len(text) == 10:
        day = datetime.fromisoformat(text).replace(tzinfo=UTC)
        return day, day + timedelta(days=1) - MS
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    clock = text.split("T", 1)[1]
    has_seconds = len(clock) >= 8 and clock[5] == ":"
    if len(clock) > 8 and clock[8] == ".":  # fractional seconds: millisecond precision
        return moment, moment
    return moment, moment + (timedelta(seconds=1) if has_seconds else timedelta(minutes=1)) - MS


def period_range(period: dict) -> tuple[datetime, datetime]:
    low = date_range(period["start"])[0] if "start" in period else NEVER_BEFORE
    high = date_range(period["end"])[1] if "end" in period else NEVER_AFTER
    return low, high


def date_matches(prefix: str, stored: tuple[datetime, datetime], searched: tuple[datetime, datetime],
                 now: datetime) -> bool:
    """The sentence of search.html for each prefix, applied to two ranges."""
    lo, hi = stored
    slo, shi = searched
    contains = slo <= lo and hi <= shi  # "the range of the search value fully contains ..."
    above = hi > shi                     # "the range above the search value intersects ..."
    below = lo < slo                     # "the range below the search value intersects ..."
    if prefix == "eq":
        return contains
    if prefix == "ne":
        return not contains
    if prefix == "gt":
        return above
    if prefix == "lt":
        return below
    if prefix == "ge":
        return above or contains
    if prefix == "le":
        return below or contains
    if prefix == "sa":
        return lo > shi
    if prefix == "eb":
        return hi < slo
    if prefix == "ap":  # 10% of the gap between now and the value, around the search range
        gap = max(abs(now - slo), abs(now - shi)) / 10
        return lo <= shi + gap and hi >= slo - gap
    raise ValueError(prefix)


def number_matches(prefix: str, stored: Decimal, searched: str) -> bool:
    """Stored values are points; eq/ne use the search value's significant figures."""
    value = Decimal(searched)
    half = Decimal(5).scaleb(value.as_tuple().exponent - 1)  # type: ignore[operator]
    within = value - half <= stored < value + half
    return {
        "eq": within, "ne": not within, "gt": stored > value, "lt": stored < value,
        "ge": stored >= value, "le": stored <= value, "sa": stored > value, "eb": stored < value,
    }[prefix]


# -- token, string and reference readings of the bundle JSON (search.html#token, #string) -------
def fold(text: str) -> str:
    """Case and accent insensitive form: casefold, then drop combining marks."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


def codings(concept: dict | None) -> list[tuple[str | None, str]]:
    return [(c.get("system"), c["code"]) for c in (concept or {}).get("coding", []) if "code" in c]


def token_matches(pairs: list[tuple[str | None, str]], value: str) -> bool:
    """``code``, ``system|code``, ``|code``, ``system|`` against (system, code) pairs."""
    if "|" not in value:
        return any(code == value for _, code in pairs)
    system, code = value.split("|", 1)
    return any((not code or c == code) and ((s or "") == system) for s, c in pairs)


def starts_with(texts: list[str], prefix: str) -> bool:
    return any(fold(t).startswith(fold(prefix)) for t in texts)


def name_parts(resource: dict) -> list[str]:
    return [part for name in resource.get("name", []) for part in
            [name.get("family", ""), *name.get("given", []), *name.get("prefix", []), *name.get("suffix", []),
             name.get("text", "")] if part]


def quantity_matches(prefix: str, quantity: dict | None, searched: str, system: str | None = None,
                     code: str | None = None) -> bool:
    if not quantity or "value" not in quantity:
        return False
    if code is not None and (quantity.get("code") != code or (system and quantity.get("system") != system)):
        return False
    return number_matches(prefix, Decimal(str(quantity["value"])), searched)
