"""FHIR date, dateTime, instant and time as single regular expressions.

fhir.resources checks these in Python (spec regex, then a parse through ``datetime`` to
reject impossible dates such as 2019-02-29, then a time-zone check): about a fifth of
the validation time of a typical resource. The same rules fit in one regex each, which
pydantic-core runs in Rust: the spec regex of http://hl7.org/fhir/R4/datatypes.html, with
day numbers limited per month and 29 February limited to leap years. Leap seconds (``:60``)
stay allowed, as in the spec. ``tests/validation/test_datetimes.py`` compares them with
the fhir.resources validators on generated values.
"""

from __future__ import annotations

_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_LEAP_YEAR = r"([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    r"((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    r"|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    r"|02-(0[1-9]|1[0-9]|2[0-8]))"
)
_FULL_DATE = rf"({_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_PARTIAL_DATE = rf"{_YEAR}(-(0[1-9]|1[0-2]))?"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
_ZONE = r"(Z|[+\-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"

DATE = rf"^({_PARTIAL_DATE}|{_FULL_DATE})$"
DATETIME = rf"^({_PARTIAL_DATE}|{_FULL_DATE}(T{_TIME}{_ZONE})?)$"
INSTANT = rf"^{_FULL_DATE}T{_TIME}{_ZONE}$"
TIME = rf"^{_TIME}$"

# What a client is told when a value does not match (with the id and code patterns).
DESCRIPTIONS = {
    DATE: "a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD, an existing day, no time)",
    DATETIME: "a FHIR dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff] with a time "
    "zone, an existing day)",
    INSTANT: "a FHIR instant (YYYY-MM-DDThh:mm:ss[.fff] with a time zone, an existing day)",
    TIME: "a FHIR time (hh:mm:ss[.fff], no time zone)",
    r"^[A-Za-z0-9\-.]+$": "a FHIR id (1-64 of A-Z a-z 0-9 - .)",
    r"^[A-Za-z0-9\-\.]{1,64}$": "a FHIR id (1-64 of A-Z a-z 0-9 - .)",
    r"^[^\s]+(\s[^\s]+)*$": "a FHIR code (no leading, trailing or double spaces)",
}

# fhir.resources validator (qualified name) -> the regex that replaces it.
BY_VALIDATOR = {
    "Date._validate": DATE,
    "DateTime._validate": DATETIME,
    "Instant._validate": INSTANT,
    "Time.__get_pydantic_core_schema__.<locals>._validate": TIME,
}
