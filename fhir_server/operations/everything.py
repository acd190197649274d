"""``GET|POST [base]/Patient/[id]/$everything``
(http://hl7.org/fhir/R4/patient-operation-everything.html).

Returns the patient's compartment (http://hl7.org/fhir/R4/compartmentdefinition-patient.html):
the Patient and every resource that refers to them through a compartment parameter, as computed
at write time (``cmp``, docs/storage.md). Resources outside the compartment that those refer to
(Practitioner, Organization, Medication...) are not added: they are directory data the caller
may read on their own, through the same policy.

Parameters (all optional):

* ``start``, ``end``: care dates; a resource is kept when its care date (the ``date``
  parameter of its type, or the one named in ``CARE_DATE_PARAMS``) overlaps ``[start, end]``, or
  when it has no care date (the Patient, an undated note). The precision of the value sets the
  range, as in search (``end=2019`` reaches to the end of 2019);
* ``_since``: only resources updated at or after this instant (``meta.lastUpdated``);
* ``_type``: comma-separated resource types; an unknown type is a 400;
* ``_count``: the page size (default: the server's maximum page size, so that a typical card
  comes in one page); ``next`` links carry keyset cursors (``search.paging``).

The Patient must exist and be visible to the caller, else 404 (410 if deleted), exactly as a read.
Every returned document passes ``AccessPolicy.visible``; the query carries each type's
``search_filter``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fhir_server.errors import BadRequest
from fhir_server.interactions.read import load_visible
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.search import paging
from fhir_server.spec.resource_types import is_resource_type

from . import compartment_query as cq
from .params import Params, collect, date_range, integer, require_type

NAME = "$everything"
PARAMETERS = frozenset({"start", "end", "_since", "_type", "_count", "_cursor"})
SORT: paging.Sort = [("_id", 1)]


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    require_type(req, "Patient", NAME)
    params = collect(req, NAME, PARAMETERS)
    patient_id = req.path[1]
    load_visible(ctx, "Patient", patient_id, req)
    return FhirResponse(200, everything(ctx, patient_id, params))


def requested_types(params: Params) -> tuple[str, ...] | None:
    raw = params.all("_type")
    if not raw:
        return None
    names = [n.strip() for value in raw for n in value.split(",") if n.strip()]
    unknown = [n for n in names if not is_resource_type(n)]
    if unknown or not names:
        raise BadRequest(f"{NAME}: unknown resource type in _type: {', '.join(unknown) or '(empty)'}",
                         expression=["_type"])
    kept = [n for n in dict.fromkeys(names) if n in cq.compartment_types()]
    return tuple(kept)


def build_query(ctx: Context, patient_id: str, params: Params) -> dict[str, Any]:
    start, end = date_range(params, "start"), date_range(params, "end")
    if start and end and start[0] > end[1]:
        raise BadRequest(f"{NAME}: start is after end", expression=["start", "end"])
    since = date_range(params, "_since")
    types = requested_types(params)
    if types == ():
        return {"_id": {"$in": []}}  # only types that are never in a compartment
    query = cq.compartment_filter(ctx, patient_id, types, start=params.one("start"), end=params.one("end"))
    if since is not None:
        query = {"$and": [query, {"lu": {"$gte": since[0]}}]}
    return query


def everything(ctx: Context, patient_id: str, params: Params) -> dict[str, Any]:
    query = build_query(ctx, patient_id, params)
    size = integer(params, "_count", minimum=0)
    size = ctx.settings.max_page_size if size is None else min(size, ctx.settings.max_page_size)
    cursor = params.one("_cursor")
    page_query = query
    if cursor:
        values, _ = paging.decode_cursor(cursor, len(SORT))
        page_query = {"$and": [query, paging.after(SORT, values)]}
    docs = cq.fetch(ctx, page_query, sort=SORT, limit=size + 1) if size else []
    more = len(docs) > size
    docs = docs[:size]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": ctx.store.count(query),
        "link": _links(ctx, patient_id, params, docs, more),
    }
    if docs:
        bundle["entry"] = [{"fullUrl": f"{ctx.base_url}/{d['t']}/{d['id']}", "resource": d["res"],
                            "search": {"mode": "match"}} for d in docs]
    return bundle


def _links(ctx: Context, patient_id: str, params: Params, docs: list[dict[str, Any]],
           more: bool) -> list[dict[str, str]]:
    base = f"{ctx.base_url}/Patient/{patient_id}/{NAME}"
    kept = [(k, v) for k, values in params.values.items() if k != "_cursor" for v in values]

    def url(extra: list[tuple[str, str]]) -> str:
        query = urlencode(kept + extra)
        return f"{base}?{query}" if query else base

    cursor = params.one("_cursor")
    links = [{"relation": "self", "url": url([("_cursor", cursor)] if cursor else [])}]
    if more and docs:
        token = paging.encode_cursor(paging.row_values(docs[-1], SORT), "next")
        links.append({"relation": "next", "url": url([("_cursor", token)])})
    return links
