"""Content negotiation: request bodies in, JSON out (http://hl7.org/fhir/R4/http.html#mime-type).

JSON is the one format served: ``application/fhir+json`` and ``application/json`` are both
accepted, ``_format`` overrides ``Accept`` (http.html#parameters), XML asks get 406 and XML
bodies 415. ``_pretty=true`` indents. Everything is UTF-8.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson

from fhir_server.errors import BadRequest, NotAcceptable, UnsupportedMediaType

FHIR_JSON = "application/fhir+json"
JSON_TYPES = {FHIR_JSON, "application/json", "application/json+fhir", "text/json"}
PATCH_JSON = "application/json-patch+json"
FORM = "application/x-www-form-urlencoded"
FORMAT_ALIASES = {"json": FHIR_JSON, "application/json": "application/json", FHIR_JSON: FHIR_JSON,
                  "application/json+fhir": FHIR_JSON}
XML_HINTS = ("xml", "turtle", "ttl", "text/html")
#: Deepest nesting of arrays and objects a request body may have: deeper bodies would exhaust the
#: recursion of the code that walks them (copies, FHIRPath, serialisation) long before any FHIR
#: resource needs it. A resource itself is held to less (``resource_body.MAX_DEPTH``).
MAX_BODY_DEPTH = 128


def media_type(header: str | None) -> str:
    return (header or "").split(";")[0].strip().lower()


def parse_body(raw: bytes, content_type: str | None, method: str) -> tuple[Any, list[tuple[str, str]]]:
    """The parsed JSON body, and form parameters for ``POST [type]/_search``."""
    if not raw:
        return None, []
    kind = media_type(content_type)
    if kind == FORM:
        try:
            return None, parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError as exc:
            raise BadRequest(f"The form body is not valid UTF-8: {exc}") from exc
    if kind and kind not in JSON_TYPES and kind != PATCH_JSON:
        raise UnsupportedMediaType(f"Content-Type {kind} is not supported; send application/fhir+json")
    charset = _charset(content_type)
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"Only UTF-8 bodies are accepted, not {charset}")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from exc
    if nests_deeper(body, MAX_BODY_DEPTH):
        raise BadRequest(f"The body nests arrays and objects more than {MAX_BODY_DEPTH} levels deep")
    return body, []


def nests_deeper(value: Any, limit: int) -> bool:
    """Whether ``value`` nests arrays and objects more than ``limit`` levels deep (a scalar: 0).

    Recursive, but it never descends past ``limit + 1`` levels, so any input is safe; a function
    call per container is several times faster than a stack of (item, depth) pairs per value.
    """
    return isinstance(value, (dict, list)) and _deeper(value, 1, limit)


def _deeper(node: dict[str, Any] | list[Any], depth: int, limit: int) -> bool:
    if depth > limit:
        return True
    for child in node.values() if isinstance(node, dict) else node:
        kind = type(child)  # exact types first: parsed JSON holds nothing else, and this is hot
        if kind is str:
            continue
        if (kind is dict or kind is list or isinstance(child, (dict, list))) and _deeper(child, depth + 1, limit):
            return True
    return False


def _charset(content_type: str | None) -> str:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset":
            return value.strip().strip('"').lower()
    return "utf-8"


def response_type(format_param: str | None, accept: str | None) -> str:
    """The media type to answer with; 406 when the client accepts only formats we do not serve."""
    if format_param:
        wanted = FORMAT_ALIASES.get(format_param.strip().lower().replace(" ", "+"))
        if wanted is None:
            raise NotAcceptable(f"_format={format_param} is not supported; this server speaks JSON")
        return wanted
    if not accept:
        return FHIR_JSON
    offered = [media_type(part) for part in accept.split(",")]
    for kind in offered:
        if kind in (FHIR_JSON, "application/json+fhir"):
            return FHIR_JSON
        if kind in ("application/json", "text/json"):
            return "application/json"
        if kind in ("*/*", "application/*", ""):
            return FHIR_JSON
    if all(any(h in kind for h in XML_HINTS) for kind in offered):
        raise NotAcceptable(f"Accept: {accept} is not supported; this server speaks JSON")
    return FHIR_JSON


def render(resource: dict[str, Any], pretty: bool) -> bytes:
    options = orjson.OPT_INDENT_2 if pretty else 0
    return orjson.dumps(resource, option=options)
