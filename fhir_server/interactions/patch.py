"""patch: ``PATCH [base]/[type]/[id]`` and conditional patch ``PATCH [base]/[type]?[search]``.

http://hl7.org/fhir/R4/http.html#patch. The body is a JSON Patch (RFC 6902,
``Content-Type: application/json-patch+json``) or a FHIRPath Patch ``Parameters`` resource
(http://hl7.org/fhir/R4/fhirpatch.html). The patched result is validated like any update and
stored as a new version; ``If-Match`` is honoured.
"""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession

from fhir_server.access.search import conditional_matches
from fhir_server.errors import BadRequest, NotFound, PreconditionFailed, UnprocessableEntity
from fhir_server.interactions.read import load_visible
from fhir_server.interactions.update import store_update
from fhir_server.interactions.versioning import ANY_VERSION, parse_if_match
from fhir_server.patch import apply_fhirpath_patch, apply_json_patch
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.spec.resource_types import check_id, check_type
from fhir_server.validation.resource_body import validated


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype, rid = check_type(req.path[0]), check_id(req.path[1])
    current = load_visible(ctx, rtype, rid, req)
    return _apply_and_store(ctx, req, current)


def handle_conditional(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype = check_type(req.path[0])
    if not req.params:
        raise BadRequest("A conditional patch needs search parameters in the URL")

    def find(session: ClientSession | None) -> dict[str, Any]:
        matches = conditional_matches(ctx, rtype, req.params, session)
        if len(matches) > 1:
            raise PreconditionFailed(f"The conditional patch matched {len(matches)} {rtype} resources")
        if not matches:
            raise NotFound(f"No {rtype} matches the conditional patch")
        return matches[0]

    current = find(req.session)
    return _apply_and_store(ctx, req, current)


def _apply_and_store(ctx: Context, req: FhirRequest, current: dict[str, Any]) -> FhirResponse:
    patched = apply_patch(current["res"], req)
    for key in ("resourceType", "id"):
        if patched.get(key) != current["res"].get(key):
            raise UnprocessableEntity(f"A patch may not change the resource's {key}")
    # Without If-Match (or with ``*``) the patch is still applied to exactly the version it was
    # computed from.
    if parse_if_match(req.headers.get("if-match")) in (None, ANY_VERSION):
        req.headers["if-match"] = f'W/"{current["vid"]}"'
    return store_update(ctx, req, validated(patched))


def apply_patch(resource: dict[str, Any], req: FhirRequest) -> dict[str, Any]:
    try:
        return _apply_patch(resource, req)
    except RecursionError as exc:  # operations that keep nesting values into each other
        raise UnprocessableEntity("The patched resource nests too deeply to be a resource") from exc


def _apply_patch(resource: dict[str, Any], req: FhirRequest) -> dict[str, Any]:
    content_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    body = req.body
    if content_type == "application/json-patch+json" or isinstance(body, list):
        return apply_json_patch(resource, body)
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        return apply_fhirpath_patch(resource, body)
    raise BadRequest("PATCH needs a JSON Patch (application/json-patch+json) or a FHIRPath Patch Parameters resource")
