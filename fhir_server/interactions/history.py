"""history: instance, type and system (http://hl7.org/fhir/R4/http.html#history).

Newest version first. ``_since`` keeps versions made at or after an instant; ``_at`` keeps, for
each resource, the version that was current at that instant; ``_count`` and keyset paging as in
search. Deletions appear as entries with ``request.method = DELETE`` and no resource.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fhir_server.errors import BadRequest, NotFound
from fhir_server.interactions.search_type import CURSOR, page_size
from fhir_server.interactions.versioning import etag
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.search import paging
from fhir_server.spec.fhir_dates import format_instant, parse_instant
from fhir_server.spec.resource_types import check_id, check_type
from fhir_server.storage.store import count_history, find_history, history_at

SORT: paging.Sort = [("lu", -1), ("_id", -1)]
KNOWN = {"_since", "_at", "_count", CURSOR, "_format", "_pretty", "_list"}


def handle_instance(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype, rid = check_type(req.path[0]), check_id(req.path[1])
    doc = ctx.store.current(rtype, rid, req.session)
    # Same 404 as read when out of reach; a deletion is as visible as the version it deleted.
    if doc is None or not ctx.policy.visible(doc):
        raise NotFound(f"{rtype}/{rid} is not known")
    return _bundle(ctx, req, {"t": rtype, "id": rid}, f"{rtype}/{rid}/_history")


def handle_type(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype = check_type(req.path[0])
    return _bundle(ctx, req, {"t": rtype}, f"{rtype}/_history")


def handle_system(ctx: Context, req: FhirRequest) -> FhirResponse:
    return _bundle(ctx, req, {}, "_history")


def _bundle(ctx: Context, req: FhirRequest, scope: dict[str, Any], path: str) -> FhirResponse:
    _check_params(req)
    narrowing = ctx.policy.history_filter(scope.get("t"))
    query = {"$and": [scope, narrowing]} if narrowing else dict(scope)
    since = req.param("_since")
    if since:
        query = {"$and": [query, {"lu": {"$gte": parse_instant(since, "_since")}}]}
    count_raw = req.param("_count")
    size = page_size(ctx, _int(count_raw, "_count") if count_raw else None)
    cursor = req.param(CURSOR)
    if cursor:
        values, _ = paging.decode_cursor(cursor, len(SORT))
        query = {"$and": [query, paging.after(SORT, values)]}
    at = req.param("_at")
    if at:
        docs = history_at(ctx.store, query, parse_instant(at, "_at"), SORT, size + 1, req.session)
    else:
        docs = find_history(ctx.store, query, SORT, size + 1, req.session)
    more, docs = len(docs) > size, docs[:size]
    docs = [d for d in docs if ctx.policy.visible(d)]  # a deletion is as visible as what it deleted
    links = _links(ctx, req, path, docs, more)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "history", "link": links,
                              "entry": [_entry(ctx, d) for d in docs]}
    if not at and not cursor and not narrowing:
        bundle["total"] = count_history(ctx.store, query, req.session)
    if not bundle["entry"]:
        del bundle["entry"]
    return FhirResponse(200, bundle)


def _check_params(req: FhirRequest) -> None:
    strict = req.prefer.get("handling", "lenient").lower() == "strict"
    unknown = [k for k, _ in req.params if k not in KNOWN]
    if strict and unknown:
        raise BadRequest(f"Unknown history parameter(s): {', '.join(unknown)}")


def _int(value: str, name: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise BadRequest(f"Parameter '{name}' must be a non-negative integer, got '{value}'")
    return int(value)


def _links(ctx: Context, req: FhirRequest, path: str, docs: list[dict[str, Any]], more: bool) -> list[dict[str, str]]:
    query = [(k, v) for k, v in req.params if k != CURSOR]
    base = f"{ctx.base_url}/{path}"

    def url(extra: list[tuple[str, str]]) -> str:
        encoded = urlencode(query + extra)
        return f"{base}?{encoded}" if encoded else base

    links = [{"relation": "self", "url": url([(CURSOR, req.param(CURSOR))] if req.param(CURSOR) else [])}]
    if docs and more:
        links.append({"relation": "next",
                      "url": url([(CURSOR, paging.encode_cursor(paging.row_values(docs[-1], SORT), "next"))])})
    return links


def _entry(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    url = f"{doc['t']}/{doc['id']}"
    method = doc.get("m", "PUT")
    entry: dict[str, Any] = {"fullUrl": f"{ctx.base_url}/{url}"}
    if not doc.get("del"):
        entry["resource"] = doc["res"]
    entry["request"] = {"method": method, "url": url if method in ("PUT", "DELETE", "PATCH") else doc["t"]}
    status = "204 No Content" if doc.get("del") else ("201 Created" if doc["vid"] == 1 else "200 OK")
    entry["response"] = {"status": status, "etag": etag(doc["vid"]), "lastModified": format_instant(doc["lu"])}
    return entry

