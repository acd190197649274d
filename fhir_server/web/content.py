"""Content negotiation: request bodies in, JSON out (http://hl7.org/fhir/R4/http.html#mime-type).

JSON is the one format served: ``application/fhir+json`` and ``application/json`` are both
accepted, ``_format`` overrides ``Accept`` (http.html#parameters), XML asks get 406 and XML
bodies 415. ``_pretty=true`` indents. Everything is UTF-8.
"""

from __future__ import annotations

import json
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
    check_duplicate_keys(raw, body)
    return body, []


def check_duplicate_keys(raw: bytes, body: Any) -> None:
    """400 naming the key and its path when an object of ``raw`` repeats a key (``orjson``, like
    every JSON parser, keeps the last one silently).

    Cheap on the common path: every ``:`` of a JSON text is a key separator or sits inside a string,
    and re-serialising ``body`` keeps every string, so ``raw`` has more colons than ``body``
    serialised exactly when a key/value pair was dropped. An escape (``\\u003a`` is a colon too)
    makes the count unreliable; only then, or when the counts differ, is the body parsed again with
    the standard library to find the repeated key.
    """
    if not isinstance(body, (dict, list)):
        return
    if b"\\u" not in raw and raw.count(b":") == orjson.dumps(body).count(b":"):
        return
    parsed = json.loads(raw, object_pairs_hook=_pairs)
    found = _duplicate(parsed, _root(parsed))
    if found is not None:
        path, key = found
        raise BadRequest(f"The key '{key}' appears more than once in the same object at {path}; "
                         "send each element once", expression=[f"{path}.{key}"])


#: The dictionary key under which :func:`_pairs` records a repeated key (no JSON key equals it).
_REPEATED = object()


def _pairs(pairs: list[tuple[str, Any]]) -> dict[Any, Any]:
    out: dict[Any, Any] = dict(pairs)
    if len(out) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                out[_REPEATED] = key
                break
            seen.add(key)
    return out


def _root(value: Any) -> str:
    rtype = value.get("resourceType") if isinstance(value, dict) else None
    return rtype if isinstance(rtype, str) and rtype else "$"


def _duplicate(value: Any, path: str) -> tuple[str, str] | None:
    """(path of the object, repeated key) of the first object holding a :data:`_REPEATED` marker.
    Recursive: the body was already held to :data:`MAX_BODY_DEPTH`."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key is _REPEATED:
                return path, child
        for key, child in value.items():
            if key is not _REPEATED and isinstance(child, (dict, list)):
                found = _duplicate(child, f"{path}.{key}")
                if found is not None:
                    return found
    elif isinstance(value, list):
        for i, child in enumerate(value):
            if isinstance(child, (dict, list)):
                found = _duplicate(child, f"{path}[{i}]")
                if found is not None:
                    return found
    return None


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
