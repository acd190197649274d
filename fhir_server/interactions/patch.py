"""patch: ``PATCH [base]/[type]/[id]`` and conditional patch ``PATCH [base]/[type]?[search]``.

http://hl7.org/fhir/R4/http.html#patch. The body is a JSON Patch (RFC 6902,
``Content-Type: application/json-patch+json``) or a FHIRPath Patch ``Parameters`` resource
(http://hl7.org/fhir/R4/fhirpatch.html). The patched result is validated like any update and
stored as a new version; ``If-Match`` is honoured.

Without ``If-Match`` (or with ``*``, any current version) a patch is applied to the version it
read and stored only if that version is still the current one. One that loses the race to a
concurrent write is read again, patched again and retried, up to ``MAX_ATTEMPTS`` times in all
(as an update re-runs its transaction), then answered 409, never naming an If-Match that was not
sent. With a version in ``If-Match`` a lost race is a 412 naming that version. Inside a batch or
transaction entry the bundle's own transaction reads one snapshot, so there is nothing to retry.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from pymongo.client_session import ClientSession

from fhir_server.access.search import conditional_matches
from fhir_server.errors import BadRequest, Conflict, NotFound, PreconditionFailed, UnprocessableEntity, VersionConflict
from fhir_server.interactions.read import load_visible
from fhir_server.interactions.update import store_update
from fhir_server.interactions.versioning import ANY_VERSION, parse_if_match
from fhir_server.patch import apply_fhirpath_patch, apply_json_patch
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.spec.resource_types import check_id, check_type
from fhir_server.validation.resource_body import validated


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype, rid = check_type(req.path[0]), check_id(req.path[1])
    return _patch(ctx, req, lambda: load_visible(ctx, rtype, rid, req))


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

    return _patch(ctx, req, lambda: find(req.session))


# Each lost race is lost to a write that committed, so of n patches of one resource at once none
# loses more than n - 1 times; a short random pause spreads the next attempts apart.
MAX_ATTEMPTS = 32
RETRY_PAUSE = 0.002  # seconds, times the attempt number, at most


def _patch(ctx: Context, req: FhirRequest, load: Callable[[], dict[str, Any]]) -> FhirResponse:
    """Read the current version with ``load``, patch it and store the result in its place."""
    sent = parse_if_match(req.headers.get("if-match"))
    own_version = sent in (None, ANY_VERSION)  # the version replaced is the one read, not one sent
    attempts = MAX_ATTEMPTS if own_version and req.session is None else 1
    for attempt in range(1, attempts + 1):
        current = load()
        patched = apply_patch(current["res"], req)
        for key in ("resourceType", "id"):
            if patched.get(key) != current["res"].get(key):
                raise UnprocessableEntity(f"A patch may not change the resource's {key}")
        expected = current["vid"] if own_version else sent
        assert isinstance(expected, int)
        try:
            return store_update(ctx, req, validated(patched), expected=expected)
        except VersionConflict as exc:
            if not own_version:
                raise  # names the version the client sent in If-Match
            if attempt == attempts:
                raise Conflict(f"{current['t']}/{current['id']} was changed by other requests while the patch was "
                               f"applied ({attempt} attempt{'s' if attempt > 1 else ''}); retry") from exc
            time.sleep(random.uniform(0, RETRY_PAUSE * attempt))  # noqa: S311 - a pause, not a secret
    raise AssertionError("unreachable")


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
