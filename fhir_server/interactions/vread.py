"""vread: ``GET [base]/[type]/[id]/_history/[vid]`` (http://hl7.org/fhir/R4/http.html#vread).

The version that records a deletion answers 410; any version of a resource out of the caller's
reach answers 404, like one that never existed.
"""

from __future__ import annotations

from fhir_server.errors import Gone, NotFound
from fhir_server.interactions.versioning import version_headers
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.spec.resource_types import check_id, check_type


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype, rid, raw_vid = req.path[0], req.path[1], req.path[3]
    check_type(rtype)
    check_id(rid)
    if not (raw_vid.isascii() and raw_vid.isdigit() and len(raw_vid) <= 18):
        raise NotFound(f"{rtype}/{rid} has no version '{raw_vid}'")
    doc = ctx.store.version(rtype, rid, int(raw_vid), req.session)
    live = doc if doc is None or not doc.get("del") else ctx.store.version(rtype, rid, doc["vid"] - 1, req.session)
    if doc is None or not ctx.policy.visible(live or doc):
        raise NotFound(f"{rtype}/{rid} has no version {raw_vid}")
    if doc.get("del"):
        raise Gone(f"Version {raw_vid} of {rtype}/{rid} records its deletion")
    return FhirResponse(200, doc["res"], version_headers(doc))
