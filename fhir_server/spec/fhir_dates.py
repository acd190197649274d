"""FHIR ``date``/``dateTime``/``instant`` strings: parsed into UTC datetimes, and instants formatted.

A partial date stands for the first instant it covers; a value without a time zone is taken as
UTC (http://hl7.org/fhir/R4/datatypes.html#dateTime).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

from fhir_server.errors import BadRequest

_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def parse_instant(value: str, parameter: str) -> datetime:
    match = _DATE.match(value.strip())
    if not match:
        raise BadRequest(f"Parameter '{parameter}': '{value}' is not a valid FHIR date or instant")
    year, month, day = int(match["y"]), int(match["m"] or 1), int(match["d"] or 1)
    time = match["time"] or "00:00"
    tz = match["tz"] or "Z"
    try:
        text = f"{year:04d}-{month:02d}-{day:02d}T{time}{'+00:00' if tz == 'Z' else tz}"
        return datetime.fromisoformat(text).astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # 9999-12-31T23:59-14:00 is past datetime.max in UTC
        raise BadRequest(f"Parameter '{parameter}': '{value}' is not a valid FHIR date or instant") from exc


@lru_cache(maxsize=256)
def format_instant(value: datetime) -> str:
    """FHIR ``instant`` in UTC with milliseconds: ``2026-11-25T10:00:00.123Z`` (cached: every
    version a transaction writes carries the same instant)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
