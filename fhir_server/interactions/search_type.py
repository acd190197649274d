"""search: ``GET [base]/[type]?...`` and ``POST [base]/[type]/_search`` (http://hl7.org/fhir/R4/search.html).

Parameters compile to one index-backed MongoDB filter (``search.compile``; chains and ``_has``
resolved first through the access policy), narrowed by the access policy. Pages follow keyset
cursors (``search.paging``) so that writes between page requests neither skip nor repeat rows. Result
parameters (#return):

- ``_total``: ``accurate`` (the default) counts every match; ``estimate`` counts up to
  :data:`ESTIMATE_CAP` and leaves ``total`` out beyond; ``none`` leaves it out. A first page
  that holds every match needs no count. A patient-scoped search (bounded by the compartment
  index) fetches its page and counts in one aggregation;
- ``_summary`` and ``_elements`` (``search.summary``, ``search.elements``), with the
  ``SUBSETTED`` tag; ``_summary=count`` returns the total alone;
- ``_include`` / ``_revinclude`` (``search.include``), entries with ``search.mode = include``,
  read through the access policy like the matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fhir_server.access.search import (
    INCLUDE_PROJECTION,
    PAGE_PROJECTION,
    by_ids,
    by_query,
    compile_for,
    scoped_filter,
)
from fhir_server.errors import BadRequest
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.search import include, paging
from fhir_server.search.compile import CompiledSearch
from fhir_server.search.elements import apply_elements, parse_elements
from fhir_server.search.summary import apply_summary, parse_summary
from fhir_server.spec.resource_types import check_type

CURSOR = "_cursor"
ESTIMATE_CAP = 10_000
#: Largest page fetched together with its count in one aggregation (its result is one document).
FACET_PAGE_LIMIT = 100
TOTALS = ("none", "estimate", "accurate")


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    return FhirResponse(200, search_bundle(ctx, req, check_type(req.path[0]), req.params))


def handle_post(ctx: Context, req: FhirRequest) -> FhirResponse:
    # The HTTP layer merges the form body into req.params (search.html#Introduction).
    return handle(ctx, req)


def page_size(ctx: Context, requested: int | None) -> int:
    if requested is None:
        return ctx.settings.default_page_size
    return max(0, min(requested, ctx.settings.max_page_size))


@dataclass
class Results:
    """The result parameters of one search (http://hl7.org/fhir/R4/search.html#return)."""

    summary: str | None
    elements: frozenset[str] | None
    total: str
    includes: list[include.Include]

    @classmethod
    def parse(cls, control: dict[str, list[str]]) -> Results:
        total = (control.get("_total") or ["accurate"])[-1] or "accurate"
        if total not in TOTALS:
            raise BadRequest(f"_total must be one of {', '.join(TOTALS)}, got {total!r}")
        summary = parse_summary(control.get("_summary", []))
        return cls(summary, parse_elements(control.get("_elements", [])),
                   "accurate" if summary == "count" else total, include.parse_includes(control))


def search_bundle(ctx: Context, req: FhirRequest, rtype: str, params: list[tuple[str, str]]) -> dict[str, Any]:
    strict = req.prefer.get("handling", "lenient").lower() == "strict"
    query = [(k, v) for k, v in params if k != CURSOR]
    compiled = compile_for(ctx, rtype, query, strict=strict, session=req.session)
    results = Results.parse(compiled.control)
    base_filter = scoped_filter(ctx, compiled, rtype)
    sort = compiled.sort
    size = 0 if results.summary == "count" else page_size(ctx, compiled.count)
    cursor = req.param(CURSOR)
    page = _fetch_page(ctx, req, compiled, base_filter, size, cursor, results)
    docs = [d for d in page.docs if ctx.policy.visible(d)]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    total = _total(ctx, req, base_filter, page, cursor, results, compiled)
    if total is not None:
        bundle["total"] = total
    bundle["link"] = _links(ctx, rtype, query, docs, sort, cursor, page.more)
    entries = [_entry(ctx, d, apply_elements(apply_summary(d["res"], results.summary), results.elements), "match")
               for d in docs]
    if results.includes and docs:
        added, cut = include.included(
            docs, results.includes, lambda refs: by_ids(ctx, refs, req.session),
            lambda t, q, limit: by_query(ctx, t, q, limit, req.session))
        entries += [_entry(ctx, d, apply_summary(d["res"], results.summary), "include") for d in added]
        if cut:
            entries.append(_outcome(f"Only the first {include.LIMIT} included resources are returned"))
    if entries:
        bundle["entry"] = entries
    return bundle


@dataclass
class Page:
    docs: list[dict[str, Any]]
    more: bool
    count: int | None = None  # set when the page query counted the matches too
    size: int = 0


def _fetch_page(ctx: Context, req: FhirRequest, compiled: CompiledSearch, base_filter: dict[str, Any],
                size: int, cursor: str | None, results: Results) -> Page:
    """One page plus whether more rows lie beyond it in the direction of travel."""
    sort = compiled.sort
    direction, order, after = "next", sort, None
    if cursor:
        values, direction = paging.decode_cursor(cursor, len(sort))
        order = sort if direction == "next" else paging.reverse(sort)
        after = paging.after(order, values)
    projection = INCLUDE_PROJECTION if results.includes else PAGE_PROJECTION
    hint = "compartment" if compiled.patient_scope else None
    if size == 0:
        return Page([], False)
    if hint and results.total == "accurate" and size <= FACET_PAGE_LIMIT:
        docs, count = _page_and_count(ctx, req, base_filter, after, order, size, projection)
    else:
        query = {"$and": [base_filter, after]} if after else base_filter
        docs = ctx.store.find(query, sort=order, limit=size + 1, session=req.session, projection=projection,
                              hint=hint)
        count = None
    more = len(docs) > size
    docs = docs[:size]
    if direction == "prev":
        docs.reverse()
    return Page(docs, more, count, size)


def _page_and_count(ctx: Context, req: FhirRequest, base_filter: dict[str, Any], after: dict[str, Any] | None,
                    order: paging.Sort, size: int, projection: dict[str, int]) -> tuple[list[dict[str, Any]], int]:
    """A bounded (patient-scoped) search: the page and the count in one pass over the matches."""
    page: list[dict[str, Any]] = [{"$match": after}] if after else []
    page += [{"$sort": dict(order)}, {"$limit": size + 1}, {"$project": projection}]
    pipeline = [{"$match": base_filter}, {"$facet": {"page": page, "total": [{"$count": "n"}]}}]
    result = next(ctx.store.store.resources.aggregate(pipeline, hint="compartment", session=req.session))
    return result["page"], (result["total"][0]["n"] if result["total"] else 0)


def _total(ctx: Context, req: FhirRequest, base_filter: dict[str, Any], page: Page, cursor: str | None,
           results: Results, compiled: CompiledSearch) -> int | None:
    if results.total == "none":
        return None
    if page.count is not None:
        return page.count
    if page.size > 0 and not cursor and not page.more:
        return len(page.docs)  # the first page holds every match
    hint = "compartment" if compiled.patient_scope else None
    if results.total == "estimate":
        found = ctx.store.store.resources.count_documents(base_filter, limit=ESTIMATE_CAP + 1,
                                                          session=req.session, **({"hint": hint} if hint else {}))
        return found if found <= ESTIMATE_CAP else None
    return ctx.store.count(base_filter, req.session)


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


def _entry(ctx: Context, doc: dict[str, Any], resource: dict[str, Any], mode: str) -> dict[str, Any]:
    return {"fullUrl": f"{ctx.base_url}/{doc['t']}/{doc['id']}", "resource": resource, "search": {"mode": mode}}


def _outcome(text: str) -> dict[str, Any]:
    return {"resource": {"resourceType": "OperationOutcome",
                         "issue": [{"severity": "warning", "code": "too-costly", "diagnostics": text}]},
            "search": {"mode": "outcome"}}
