"""Building responses for interactions that return a resource (Prefer, Location, ETag)."""

from __future__ import annotations

from typing import Any

from fhir_server.errors import information_outcome
from fhir_server.interactions.versioning import version_headers
from fhir_server.rest import Context, FhirRequest, FhirResponse


def location(ctx: Context, doc: dict[str, Any]) -> str:
    return f"{ctx.base_url}/{doc['t']}/{doc['id']}/_history/{doc['vid']}"


def write_response(ctx: Context, req: FhirRequest, doc: dict[str, Any], status: int,
                   *, with_location: bool) -> FhirResponse:
    """The answer to create/update/patch, shaped by ``Prefer: return=`` (http.html#ops)."""
    headers = version_headers(doc)
    if with_location:
        headers["Location"] = location(ctx, doc)
    wanted = req.prefer.get("return", "representation").lower()
    if wanted == "minimal":
        return FhirResponse(status, None, headers)
    if wanted == "operationoutcome":
        verb = "created" if status == 201 else "updated"
        said = f"{doc['t']}/{doc['id']} {verb} (version {doc['vid']})"
        return FhirResponse(status, information_outcome(said), headers)
    return FhirResponse(status, doc["res"], headers)
