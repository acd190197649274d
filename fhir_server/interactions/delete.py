"""delete: ``DELETE [base]/[type]/[id]`` and conditional delete ``DELETE [base]/[type]?[search]``.

http://hl7.org/fhir/R4/http.html#delete: the history is kept and a later read answers 410.
Deleting an absent or already deleted resource succeeds with no effect (200 with an
OperationOutcome, as the spec allows). Conditional delete (http.html#3.1.0.7.1) deletes the one
match; several matches are a 412 (this server deletes one resource per request). ``If-Match``
makes a delete version-aware like an update (http.html#concurrency): 412 unless the current
version is the one named.
"""

from __future__ import annotations

from pymongo.client_session import ClientSession

from fhir_server.access.search import conditional_matches
from fhir_server.errors import PreconditionFailed, information_outcome
from fhir_server.interactions.versioning import ANY_VERSION, etag, parse_if_match
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.spec.resource_types import check_id, check_type


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype, rid = check_type(req.path[0]), check_id(req.path[1])
    expected = parse_if_match(req.headers.get("if-match"))

    def work(session: ClientSession) -> int | None:
        existing = ctx.store.current(rtype, rid, session)
        live = existing is not None and not existing.get("del") and ctx.policy.visible(existing)
        if expected is not None and (not live or expected not in (ANY_VERSION, existing["vid"])):  # type: ignore[index]  # live implies existing
            raise PreconditionFailed(f"If-Match expected version {expected} of {rtype}/{rid}")
        if not live:
            return None
        ctx.policy.check_write(rtype, None, existing)
        return ctx.store.delete(rtype, rid, session)

    return _answer(rtype, rid, ctx.in_transaction(req, work))


def handle_conditional(ctx: Context, req: FhirRequest) -> FhirResponse:
    rtype = check_type(req.path[0])
    if not req.params:
        raise PreconditionFailed("A conditional delete needs search parameters in the URL")

    def work(session: ClientSession) -> tuple[str | None, int | None]:
        matches = conditional_matches(ctx, rtype, req.params, session)
        if len(matches) > 1:
            raise PreconditionFailed(f"The conditional delete matched {len(matches)} {rtype} resources")
        if not matches:
            return None, None
        ctx.policy.check_write(rtype, None, matches[0])
        return matches[0]["id"], ctx.store.delete(rtype, matches[0]["id"], session)

    rid, vid = ctx.in_transaction(req, work)
    return _answer(rtype, rid, vid)


def _answer(rtype: str, rid: str | None, vid: int | None) -> FhirResponse:
    if vid is None:
        return FhirResponse(200, information_outcome("Nothing to delete: no matching resource"))
    return FhirResponse(200, information_outcome(f"{rtype}/{rid} deleted"), {"ETag": etag(vid)})
