"""search: ``GET [base]/[type]?...`` and ``POST [base]/[type]/_search`` (http://hl7.org/fhir/R4/search.html).

Parameters compile to one index-backed MongoDB filter (``search.compile``), narrowed by the
access policy. Pages follow keyset cursors (``paging``) so that writes between page requests
neither skip nor repeat rows. ``Bundle.total`` is exact.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fhir_server import paging
from fhir_server.rest import Context, FhirRequest, FhirResponse, check_type
from fhir_server.search.compile import compile_search
from fhir_server.search_service import scoped_filter

CURSOR = "_cursor"


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    return FhirResponse(200, search_bundle(ctx, req, check_type(req.path[0]), req.params))


def handle_post(ctx: Context, req: FhirRequest) -> FhirResponse:
    # The HTTP layer merges the form body into req.params (search.html#Introduction).
    return handle(ctx, req)


def page_size(ctx: Context, requested: int | None) -> int:
    if requested is None:
        return ctx.settings.default_page_size
    return max(0, min(requested, ctx.settings.max_page_size))


def search_bundle(ctx: Context, req: FhirRequest, rtype: str, params: list[tuple[str, str]]) -> dict[str, Any]:
    strict = req.prefer.get("handling", "lenient").lower() == "strict"
    query = [(k, v) for k, v in params if k != CURSOR]
    compiled = compile_search(rtype, query, strict=strict)
    base_filter = scoped_filter(ctx, compiled, rtype)
    sort = _with_tiebreak(compiled.sort)
    size = page_size(ctx, compiled.count)
    cursor = req.param(CURSOR)
    docs, more = _fetch_page(ctx, req, base_filter, sort, size, cursor)
    docs = [d for d in docs if ctx.policy.visible(d)]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": ctx.store.count(base_filter, req.session),
        "link": _links(ctx, rtype, query, docs, sort, cursor, more),
        "entry": [_entry(ctx, d) for d in docs],
    }
    if not bundle["entry"]:
        del bundle["entry"]
    return bundle


def _with_tiebreak(sort: list[tuple[str, int]]) -> paging.Sort:
    if any(field == "_id" for field, _ in sort):
        return list(sort)
    return [*sort, ("_id", 1)]


def _fetch_page(ctx: Context, req: FhirRequest, base_filter: dict[str, Any], sort: paging.Sort,
                size: int, cursor: str | None) -> tuple[list[dict[str, Any]], bool]:
    """One page plus whether more rows lie beyond it in the direction of travel."""
    if size == 0:
        return [], False
    direction, order, query = "next", sort, base_filter
    if cursor:
        values, direction = paging.decode_cursor(cursor, len(sort))
        order = sort if direction == "next" else paging.reverse(sort)
        query = {"$and": [base_filter, paging.after(order, values)]}
    docs = ctx.store.find(query, sort=order, limit=size + 1, session=req.session)
    more = len(docs) > size
    docs = docs[:size]
    if direction == "prev":
        docs.reverse()
    return docs, more


def _links(ctx: Context, rtype: str, query: list[tuple[str, str]], docs: list[dict[str, Any]],
           sort: paging.Sort, cursor: str | None, more: bool) -> list[dict[str, str]]:
    base = f"{ctx.base_url}/{rtype}"

    def url(extra: list[tuple[str, str]]) -> str:
        encoded = urlencode(query + extra)
        return f"{base}?{encoded}" if encoded else base

    links = [{"relation": "self", "url": url([(CURSOR, cursor)] if cursor else [])}]
    direction = paging.decode_cursor(cursor, len(sort))[1] if cursor else "next"
    has_next = more if direction == "next" else bool(cursor)
    has_prev = bool(cursor) if direction == "next" else more
    if docs and has_next:
        links.append({"relation": "next",
                      "url": url([(CURSOR, paging.encode_cursor(paging.row_values(docs[-1], sort), "next"))])})
    if docs and has_prev:
        links.append({"relation": "previous",
                      "url": url([(CURSOR, paging.encode_cursor(paging.row_values(docs[0], sort), "prev"))])})
    return links


def _entry(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": f"{ctx.base_url}/{doc['t']}/{doc['id']}",
        "resource": doc["res"],
        "search": {"mode": "match"},
    }
