"""Version headers: ETag, Last-Modified, If-Match, If-None-Match, If-Modified-Since.

See http://hl7.org/fhir/R4/http.html#versioning and #cread. FHIR ETags are weak: ``W/"3"``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any

from fhir_server.errors import BadRequest

_ETAG = re.compile(r'^\s*(?:W/)?"?([^"]*)"?\s*$')


def etag(vid: int) -> str:
    return f'W/"{vid}"'


@lru_cache(maxsize=256)
def http_date(value: datetime) -> str:
    # Cached: every version a transaction writes carries the same instant.
    return format_datetime(value.astimezone(UTC), usegmt=True)


def version_headers(doc: dict[str, Any]) -> dict[str, str]:
    return {"ETag": etag(doc["vid"]), "Last-Modified": http_date(doc["lu"])}


ANY_VERSION = "*"


def parse_if_match(value: str | None) -> int | str | None:
    """``If-Match``: a version number, ``ANY_VERSION`` for ``*`` (any current version, RFC 9110
    section 13.1.1), or None when the header is absent."""
    if not value:
        return None
    if value.strip() == ANY_VERSION:
        return ANY_VERSION
    return parse_etag(value)


def parse_etag(value: str, header: str = "If-Match") -> int:
    """The version number in ``W/"3"`` (or ``"3"``, or ``3``); 400 if it is not one."""
    match = _ETAG.match(value or "")
    digits = match.group(1) if match else ""
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
        raise BadRequest(f"{header} must be a version ETag like W/\"3\", got {value!r}")
    return int(digits)


def not_modified(doc: dict[str, Any], headers: Any) -> bool:
    """True when the conditional-read headers say the client already has this version."""
    none_match = headers.get("if-none-match")
    if none_match:
        tags = [t.strip() for t in none_match.split(",")]
        if "*" in tags:
            return True
        return any(_ETAG.match(t) and _ETAG.match(t).group(1) == str(doc["vid"]) for t in tags)
    modified_since = headers.get("if-modified-since")
    if modified_since:
        try:
            since = parsedate_to_datetime(modified_since)
        except (TypeError, ValueError):
            return False  # an unparsable date is ignored, as RFC 7232 section 3.3 says
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return doc["lu"].replace(microsecond=0) <= since
    return False
