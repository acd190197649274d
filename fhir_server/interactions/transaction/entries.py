"""Reading the entries of a batch or transaction Bundle (http://hl7.org/fhir/R4/bundle.html).

Each entry becomes an :class:`Entry`: method, path and parameters of its ``request.url``, its
resource, and the conditional headers it carries (``ifMatch``, ``ifNoneExist``...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from pymongo.client_session import ClientSession

from fhir_server.access.search import conditional_matches, parse_condition
from fhir_server.errors import BadRequest, FhirError, PreconditionFailed
from fhir_server.rest import Context

METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"}
HEADER_FIELDS = {"ifNoneMatch": "if-none-match", "ifModifiedSince": "if-modified-since",
                 "ifMatch": "if-match", "ifNoneExist": "if-none-exist"}


@dataclass
class Entry:
    index: int
    method: str
    path: list[str]
    params: list[tuple[str, str]]
    full_url: str | None = None
    resource: dict[str, Any] | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    assigned_id: str | None = None
    error: FhirError | None = None

    @property
    def plain_create(self) -> bool:
        return self.error is None and self.method == "POST" and len(self.path) == 1 \
            and not self.headers.get("if-none-exist")

    def resolve_target(self, ctx: Context, session: ClientSession) -> str | None:
        """The id this entry's resource will have, resolving conditional create and update."""
        if self.error is not None or self.resource is None:
            return None
        rtype = self.path[0] if self.path else None
        if self.method == "POST" and self.headers.get("if-none-exist"):
            matches = conditional_matches(ctx, rtype, parse_condition(self.headers["if-none-exist"], rtype), session)
            return self._single(matches, "ifNoneExist")
        if self.method == "PUT" and len(self.path) == 2:
            return self.path[1]
        if self.method == "PUT" and len(self.path) == 1 and self.params:
            matches = conditional_matches(ctx, rtype, self.params, session)
            given = self.resource.get("id")
            if given is not None and not isinstance(given, str):
                raise BadRequest(f"Bundle.entry[{self.index}]: Resource id must be a string",
                                 expression=[f"Bundle.entry[{self.index}].resource.id"])
            target = self._single(matches, "conditional update") or given or _new_id()
            # From here on it is a plain update of the resolved id.
            self.path, self.params = [rtype, target], []
            self.resource = {**self.resource, "id": target}
            return target
        return None

    def _single(self, matches: list[dict[str, Any]], what: str) -> str | None:
        if len(matches) > 1:
            raise PreconditionFailed(f"Bundle.entry[{self.index}]: {what} matched {len(matches)} resources")
        return matches[0]["id"] if matches else None


def _new_id() -> str:
    from fhir_server.storage.store import new_id

    return new_id()


def parse_entries(ctx: Context, bundle: dict[str, Any]) -> list[Entry]:
    raw = bundle.get("entry", [])
    if not isinstance(raw, list):
        raise BadRequest("Bundle.entry must be an array", expression=["Bundle.entry"])
    strict = bundle.get("type") == "transaction"
    entries = []
    for index, item in enumerate(raw):
        try:
            entries.append(_parse_entry(ctx, index, item))
        except FhirError as exc:
            if strict:
                raise
            entries.append(Entry(index, "GET", [], [], error=exc))
    _check_unique_full_urls(entries)
    return entries


def _parse_entry(ctx: Context, index: int, item: Any) -> Entry:
    where = f"Bundle.entry[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
        raise BadRequest(f"{where} needs a request", expression=[f"{where}.request"])
    request = item["request"]
    method = str(request.get("method", "")).upper()
    if method not in METHODS:
        raise BadRequest(f"{where}.request.method {request.get('method')!r} is not supported",
                         expression=[f"{where}.request.method"])
    url = request.get("url")
    if not isinstance(url, str) or not url:
        raise BadRequest(f"{where}.request.url is missing", expression=[f"{where}.request.url"])
    path, params = split_url(ctx.base_url, url)
    if not path:  # a nested batch or transaction would commit on its own, outside this bundle
        raise BadRequest(f"{where}.request.url must name a resource type, not the base URL: "
                         "bundles do not nest", expression=[f"{where}.request.url"])
    full_url = item.get("fullUrl")
    if full_url is not None and not isinstance(full_url, str):
        raise BadRequest(f"{where}.fullUrl must be a string", expression=[f"{where}.fullUrl"])
    resource = item.get("resource")
    if resource is not None and not isinstance(resource, dict):
        raise BadRequest(f"{where}.resource must be a resource", expression=[f"{where}.resource"])
    if method in ("POST", "PUT") and resource is None:
        raise BadRequest(f"{where} has no resource to {method}", expression=[f"{where}.resource"])
    headers = {h: str(request[f]) for f, h in HEADER_FIELDS.items() if request.get(f)}
    if method == "PATCH":
        headers["content-type"] = "application/fhir+json"
    body = resource
    if method == "PATCH" and isinstance(resource, dict) and resource.get("resourceType") == "Binary":
        body = _binary_patch(resource, where)
        headers["content-type"] = "application/json-patch+json"
        resource = None
    return Entry(index, "GET" if method == "HEAD" else method, path, params,
                 full_url=full_url, resource=None if method == "PATCH" else resource,
                 body=body, headers=headers)


def _binary_patch(resource: dict[str, Any], where: str) -> Any:
    """A JSON Patch travels in a transaction as a Binary (http.html#patch)."""
    import base64
    import json

    try:
        return json.loads(base64.b64decode(resource.get("data", "")))
    except (ValueError, TypeError, RecursionError) as exc:
        raise BadRequest(f"{where}: the Binary does not hold a JSON Patch") from exc


def split_url(base_url: str, url: str) -> tuple[list[str], list[tuple[str, str]]]:
    """``Patient/1?x=y`` (or the same under the server's base URL) -> (path segments, params)."""
    if url.startswith(base_url + "/"):
        url = url[len(base_url) + 1:]
    elif "://" in url:
        raise BadRequest(f"The entry URL {url!r} is not on this server")
    path_part, _, query = url.lstrip("/").partition("?")
    path = [p for p in path_part.split("/") if p]
    return path, parse_qsl(query, keep_blank_values=True) if query else []


def _check_unique_full_urls(entries: list[Entry]) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.full_url and entry.method in ("POST", "PUT") and entry.error is None:
            if entry.full_url in seen:
                raise BadRequest(f"Bundle.entry[{entry.index}]: fullUrl {entry.full_url} appears twice")
            seen.add(entry.full_url)


def resolve_conditional_reference(ctx: Context, reference: str, session: ClientSession) -> str:
    """``Patient?identifier=a|b`` -> ``Patient/<id>`` of its single match (http.html#trules)."""
    rtype = reference.split("?", 1)[0]
    matches = conditional_matches(ctx, rtype, parse_condition(reference, rtype), session)
    if len(matches) != 1:
        raise PreconditionFailed(
            f"The conditional reference {reference} matched {len(matches)} resources; it must match exactly one")
    return f"{rtype}/{matches[0]['id']}"
