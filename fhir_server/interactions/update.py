"""update: ``PUT [base]/[type]/[id]`` and conditional update ``PUT [base]/[type]?[search]``.

http://hl7.org/fhir/R4/http.html#update: the body id must equal the URL id (400 otherwise); an
unknown id creates the resource with the client's id (201, "update as create"). ``If-Match``
makes the update version-aware (412 on mismatch, http.html#concurrency).
Conditional update (http.html#cond-update): no match creates, one match updates it, several
matches are a 412.
"""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession

from fhir_server.access.search import conditional_matches
from fhir_server.errors import BadRequest, PreconditionFailed
from fhir_server.interactions.responses import write_response
from fhir_server.interactions.versioning import ANY_VERSION, parse_if_match
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.spec.resource_types import check_id, check_type
from fhir_server.storage.store import new_id
from fhir_server.validation.resource_body import require_resource, validated


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype, rid = check_type(req.path[0]), check_id(req.path[1])
    resource = require_resource(req.body, rtype)
    if "id" not in resource:
        raise BadRequest("The resource in an update must carry its id", expression=[f"{rtype}.id"])
    if resource["id"] != rid:
        raise BadRequest(f"The resource id '{resource['id']}' does not match the URL id '{rid}'",
                         expression=[f"{rtype}.id"])
    return store_update(ctx, req, validated(resource))


def handle_conditional(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype = check_type(req.path[0])
    resource = require_resource(req.body, rtype)
    if not req.params:
        raise BadRequest("A conditional update needs search parameters in the URL")

    def work(session: ClientSession) -> tuple[dict[str, Any], bool]:
        matches = conditional_matches(ctx, rtype, req.params, session)
        if len(matches) > 1:
            raise PreconditionFailed(f"The conditional update matched {len(matches)} {rtype} resources")
        if matches:
            target = matches[0]["id"]
            if resource.get("id", target) != target:
                raise BadRequest(f"The resource id '{resource['id']}' does not match the matched resource "
                                 f"{rtype}/{target}", expression=[f"{rtype}.id"])
        else:
            target = resource.get("id") or new_id()
        body = validated({**resource, "id": target})
        return _put(ctx, req, body, session)

    doc, created = ctx.in_transaction(req, work)
    return write_response(ctx, req, doc, 201 if created else 200, with_location=created)


def store_update(ctx: Context, req: FhirRequest, resource: dict[str, Any], *,
                 expected: int | None = None) -> FhirResponse:
    """Store ``resource`` as the new current version; ``expected``: the version it must replace
    (instead of the request's ``If-Match``), VersionConflict otherwise."""
    doc, created = ctx.in_transaction(req, lambda session: _put(ctx, req, resource, session, expected))
    return write_response(ctx, req, doc, 201 if created else 200, with_location=created)


def _put(ctx: Context, req: FhirRequest, resource: dict[str, Any], session: ClientSession,
         expected: int | None = None) -> tuple[dict[str, Any], bool]:
    rtype = resource["resourceType"]
    # The policy first: it answers an id out of reach exactly as an absent one (access.policy).
    ctx.policy.check_write(rtype, resource)
    existing = ctx.store.current(rtype, resource["id"], session)
    if existing is not None and not existing.get("del") and not ctx.policy.visible(existing):
        # Out of reach looks absent, and an absent id cannot be taken over by a create either.
        raise PreconditionFailed(f"{rtype}/{resource['id']} cannot be written")
    version = expected if expected is not None else parse_if_match(req.headers.get("if-match"))
    if version == ANY_VERSION:
        if existing is None or existing.get("del"):
            raise PreconditionFailed(f"If-Match: * but {rtype}/{resource['id']} has no current version")
        version = existing["vid"]  # any version: the one read, still compared and swapped
    return ctx.store.put(resource, session, if_match=version, method=req.method.upper())
