"""Dates and times of the sources as FHIR ``date``, ``dateTime`` and ``instant`` values.

FHIR R4 (http://hl7.org/fhir/R4/datatypes.html#dateTime) requires a time zone whenever a time is
given; Moscow sources usually leave it out, so a time without a zone is Moscow local time
(``Europe/Moscow``, UTC+03:00 since October 2014). Precision is kept: a year stays a year, a day a
day; a time given to the hour or minute gets ``:00`` seconds, as FHIR needs ``hh:mm:ss``.

Source forms handled:

* ISO 8601 as the JSON exports write it (``2024-03-12``, ``2024-03-12T10:15``,
  ``2024-03-12T10:15:00+03:00``);
* the HL7 v2 ``TS``/``DTM`` and CDA ``TS`` form ``YYYY[MM[DD[HH[MM[SS[.S...]]]]]][+/-ZZZZ]``
  (HL7 v2.5 section 2.A.74, CDA R2 data types ``TS``);
* DICOM ``DA`` (``YYYYMMDD``) and ``TM`` (``HHMMSS.FFFFFF``, or shorter) with the optional
  Timezone Offset From UTC (0008,0201) (DICOM PS3.5 section 6.2).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo

from .errors import MappingError

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        MOSCOW: tzinfo = ZoneInfo("Europe/Moscow")
    except ZoneInfoNotFoundError:  # no tz database: Moscow has kept UTC+3 since 2014-10-26
        MOSCOW = timezone(timedelta(hours=3))
except ImportError:  # pragma: no cover
    MOSCOW = timezone(timedelta(hours=3))

_COMPACT = re.compile(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d+)?([+-]\d{4})?")
_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
                  r"(Z|[+-]\d{2}:?\d{2})?)?)?)?")


def from_iso(text: str) -> str:
    """An ISO 8601 date or date-time of a JSON export as FHIR ``date``/``dateTime``."""
    match = _ISO.fullmatch(text.strip())
    if not match:
        raise MappingError(f"{text!r} is not an ISO 8601 date or date-time")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone and zone != "Z" and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    return _assemble(text, year, month, day, hour, minute, second, fraction, zone)


def from_hl7(text: str) -> str:
    """An HL7 v2 or CDA ``TS`` value as FHIR ``date``/``dateTime``."""
    match = _COMPACT.fullmatch(text.strip())
    if not match:
        raise MappingError(f"{text!r} is not an HL7 timestamp (YYYYMMDD[HHMM[SS]][+ZZZZ])")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    return _assemble(text, year, month, day, hour, minute, second, fraction, zone)


def from_dicom(da: str, tm: str | None = None, offset: str | None = None) -> str:
    """DICOM ``DA`` [+ ``TM``] [+ Timezone Offset From UTC] as FHIR ``date``/``dateTime``."""
    da, tm = da.strip(), (tm or "").strip()
    if not re.fullmatch(r"\d{8}", da):
        raise MappingError(f"{da!r} is not a DICOM date (YYYYMMDD)")
    if tm and not re.fullmatch(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?", tm):
        raise MappingError(f"{tm!r} is not a DICOM time (HHMMSS.FFFFFF)")
    if offset and not re.fullmatch(r"[+-]\d{4}", offset.strip()):
        raise MappingError(f"{offset!r} is not a DICOM timezone offset (+HHMM)")
    day = from_hl7(da)
    return from_hl7(da + tm.split(".")[0] + (offset.strip() if offset and tm else "")) if tm else day


def to_instant(value: str) -> str:
    """A FHIR ``dateTime`` with seconds and zone as an ``instant``; a date is not an instant."""
    if "T" not in value:
        raise MappingError(f"{value!r} has no time of day, an instant needs one")
    return value


def date_only(value: str) -> str:
    """The date part of a FHIR ``dateTime`` (for ``birthDate`` and the like)."""
    return value.split("T", 1)[0]


def _assemble(text: str, year: str, month: str | None, day: str | None, hour: str | None,
              minute: str | None, second: str | None, fraction: str | None, zone: str | None) -> str:
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise MappingError(f"{text!r} is not a valid date") from None
    if zone not in (None, "Z") and not re.fullmatch(r"[+-](0\d|1[0-4]):[0-5]\d", zone):
        raise MappingError(f"{text!r} has an impossible time zone offset")
    if hour is None or day is None:
        return "-".join(p for p in (year, month, day) if p)
    if int(hour) > 23 or int(minute or 0) > 59 or int(second or 0) > 59:
        raise MappingError(f"{text!r} is not a valid time of day")
    local = datetime(int(year), int(month or 1), int(day), int(hour), int(minute or 0), int(second or 0))
    if zone is None:
        offset = local.replace(tzinfo=MOSCOW).utcoffset() or timedelta(0)
        zone = _format_offset(offset)
    elif zone == "Z":
        zone = "+00:00"
    if not re.fullmatch(r"[+-](0\d|1[0-4]):[0-5]\d", zone):
        raise MappingError(f"{text!r} has an impossible time zone offset")
    return f"{local:%Y-%m-%dT%H:%M:%S}{(fraction or '')[:7]}{zone}"


def _format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
