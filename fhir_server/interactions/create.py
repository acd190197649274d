"""create: ``POST [base]/[type]`` (http://hl7.org/fhir/R4/http.html#create).

The server assigns the id (any id in the body is ignored, as the spec says). With
``If-None-Exist`` the create is conditional (http.html#ccreate): one match returns it with 200 and
stores nothing, several matches are a 412.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo.client_session import ClientSession

from fhir_server.access.search import conditional_matches, parse_condition
from fhir_server.errors import PreconditionFailed
from fhir_server.interactions.responses import write_response
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.spec.resource_types import check_type
from fhir_server.validation.resource_body import require_resource, validated


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype = check_type(req.path[0])
    resource = prepare(ctx, rtype, req.body)
    condition = req.headers.get("if-none-exist")

    def work(session: ClientSession) -> tuple[dict[str, Any], int]:
        if condition:
            matches = conditional_matches(ctx, rtype, parse_condition(condition, rtype), session)
            if len(matches) > 1:
                raise PreconditionFailed(f"If-None-Exist matched {len(matches)} {rtype} resources")
            if matches:
                return matches[0], 200
        return ctx.store.create(resource, session, rid=req.assigned_id), 201

    doc, status = ctx.in_transaction(req, work)
    return write_response(ctx, req, doc, status, with_location=True)


def prepare(ctx: Context, rtype: str, body: Any,
            pending: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """The body as a valid resource the caller may create; its id is left to the server.

    ``pending``: compartments of the resources a transaction creates with it (what it may point at).
    """
    resource = validated(_without_id(require_resource(body, rtype)))
    ctx.policy.check_write(rtype, resource, pending=pending)
    return resource


def _without_id(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k != "id"}

