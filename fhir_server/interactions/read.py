"""read: ``GET [base]/[type]/[id]`` (http://hl7.org/fhir/R4/http.html#read).

A deleted resource answers 410; a resource the access policy hides answers 404 like an absent
one. ``If-None-Match`` and ``If-Modified-Since`` give 304 (http.html#cread).
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import Gone, NotFound
from fhir_server.interactions.versioning import not_modified, version_headers
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.search.elements import subset
from fhir_server.spec.resource_types import check_id, check_type


def load_visible(ctx: Context, rtype: str, rid: str, req: FhirRequest, *, cached: bool = False) -> dict[str, Any]:
    """The current document of type/id if it exists, is not deleted and is within reach.

    ``cached``: the document may come from the read cache (reads outside transactions only;
    writers read the database, whose version they compare and swap).
    """
    check_type(rtype)
    check_id(rid)
    if cached and req.session is None:
        doc = ctx.store.current_for_read(rtype, rid)
    else:
        doc = ctx.store.current(rtype, rid, req.session)
    if doc is None or not ctx.policy.visible(doc if not doc.get("del") else _last_live(ctx, doc, req)):
        raise NotFound(f"{rtype}/{rid} is not known")
    if doc.get("del"):
        raise Gone(f"{rtype}/{rid} was deleted", headers={"ETag": f'W/"{doc["vid"]}"'})
    return doc


def _last_live(ctx: Context, tombstone: dict[str, Any], req: FhirRequest) -> dict[str, Any]:
    """The version before a deletion: whether a deleted resource 'exists' for a caller depends on it."""
    previous = ctx.store.version(tombstone["t"], tombstone["id"], tombstone["vid"] - 1, req.session)
    return previous or tombstone


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype, rid = req.path[0], req.path[1]
    doc = load_visible(ctx, rtype, rid, req, cached=True)
    headers = version_headers(doc)
    if not_modified(doc, req.headers):
        return FhirResponse(304, None, headers)
    return FhirResponse(200, subset(doc["res"], req.params), headers)
