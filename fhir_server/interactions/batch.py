"""batch and transaction: ``POST [base]`` with a Bundle (http://hl7.org/fhir/R4/http.html#transaction).

A transaction is atomic: it runs in one MongoDB transaction and any failing entry fails the
whole bundle, leaving nothing stored. Its entries are processed in the spec's order (DELETE,
POST, PUT/PATCH, GET; http.html#trules) after every ``fullUrl`` (``urn:uuid:`` included) has
been given its final ``Type/id`` and every reference to it rewritten; conditional references
(``Patient?identifier=...``) resolve to their single match. A batch runs each entry on its own.
Every entry goes through :func:`fhir_server.rest.dispatch`, the same path as a direct request.
"""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession

from fhir_server.errors import BadRequest, FhirError
from fhir_server.interactions import create
from fhir_server.rest import Context, FhirRequest, FhirResponse, Headers, dispatch
from fhir_server.storage import new_id
from fhir_server.transaction_entries import Entry, parse_entries, resolve_conditional_reference
from fhir_server.transaction_references import rewrite_references

ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
STATUS_TEXT = {200: "200 OK", 201: "201 Created", 204: "204 No Content", 304: "304 Not Modified"}


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    bundle = req.body
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BadRequest("POST to the base URL takes a Bundle of type batch or transaction")
    kind = bundle.get("type")
    if kind not in ("batch", "transaction"):
        raise BadRequest(f"Bundle.type must be batch or transaction, not {kind!r}", expression=["Bundle.type"])
    entries = parse_entries(ctx, bundle)
    if kind == "transaction":
        responses = ctx.store.transaction(lambda session: _transaction(ctx, req, entries, session))
    else:
        responses = [_batch_entry(ctx, req, entry) for entry in entries]
    return FhirResponse(200, {
        "resourceType": "Bundle",
        "type": f"{kind}-response",
        "entry": [_response_entry(r) for r in responses],
    })


def _transaction(ctx: Context, req: FhirRequest, entries: list[Entry],
                 session: ClientSession) -> list[FhirResponse]:
    ids = _assign_ids(ctx, entries, session)
    for entry in entries:
        if entry.resource is not None:
            entry.resource = rewrite_references(
                entry.resource, ids, lambda ref: resolve_conditional_reference(ctx, ref, session))
    responses: dict[int, FhirResponse] = {}
    _bulk_create(ctx, req, [e for e in entries if e.plain_create], session, responses)
    for entry in sorted((e for e in entries if not e.plain_create), key=lambda e: ORDER[e.method]):
        try:
            responses[entry.index] = dispatch(ctx, _entry_request(req, entry, session))
        except FhirError as exc:
            raise _entry_failure(entry, exc) from exc
    return [responses[i] for i in range(len(entries))]


def _assign_ids(ctx: Context, entries: list[Entry], session: ClientSession) -> dict[str, str]:
    """Map every fullUrl to the ``Type/id`` it will have once the transaction is done."""
    ids: dict[str, str] = {}
    for entry in entries:
        target = entry.resolve_target(ctx, session)
        if entry.method == "POST" and target is None:
            entry.assigned_id = new_id()
            target = entry.assigned_id
        if entry.full_url and target and entry.resource is not None:
            ids[entry.full_url] = f"{entry.resource['resourceType']}/{target}"
    return ids


def _bulk_create(ctx: Context, req: FhirRequest, entries: list[Entry], session: ClientSession,
                 responses: dict[int, FhirResponse]) -> None:
    """Plain creates are prepared exactly as ``create`` does, then stored with one insert_many."""
    prepared = []
    for entry in entries:
        try:
            resource = create.prepare(ctx, entry.path[0], entry.resource)
        except FhirError as exc:
            raise _entry_failure(entry, exc) from exc
        prepared.append({**resource, "id": entry.assigned_id})
    docs = ctx.store.insert_many_new(prepared, session)
    from fhir_server.responses import write_response  # import here: responses imports rest

    for entry, doc in zip(entries, docs, strict=True):
        responses[entry.index] = write_response(ctx, req, doc, 201, with_location=True)


def _entry_request(req: FhirRequest, entry: Entry, session: ClientSession | None) -> FhirRequest:
    headers = Headers({k: v for k, v in entry.headers.items() if v})
    if req.headers.get("prefer"):
        headers["prefer"] = req.headers["prefer"]
    return FhirRequest(method=entry.method, path=entry.path, params=entry.params, headers=headers,
                       body=entry.resource if entry.resource is not None else entry.body,
                       session=session, assigned_id=entry.assigned_id)


def _batch_entry(ctx: Context, req: FhirRequest, entry: Entry) -> FhirResponse:
    try:
        if entry.error is not None:
            raise entry.error
        return dispatch(ctx, _entry_request(req, entry, None))
    except FhirError as exc:
        return FhirResponse(exc.status, exc.outcome())


def _entry_failure(entry: Entry, exc: FhirError) -> FhirError:
    """The error of a failing transaction entry, naming the entry."""
    for issue in exc.issues:
        issue.diagnostics = f"Bundle.entry[{entry.index}]: {issue.diagnostics}"
    return exc


def _response_entry(resp: FhirResponse) -> dict[str, Any]:
    response: dict[str, Any] = {"status": STATUS_TEXT.get(resp.status, str(resp.status))}
    for header, key in (("Location", "location"), ("ETag", "etag"), ("Last-Modified", "lastModified")):
        if header in resp.headers:
            response[key] = resp.headers[header]
    if "lastModified" in response:
        from email.utils import parsedate_to_datetime

        from fhir_server.storage import format_instant

        response["lastModified"] = format_instant(parsedate_to_datetime(response["lastModified"]))
    out: dict[str, Any] = {"response": response}
    if resp.resource is not None:
        if resp.resource.get("resourceType") == "OperationOutcome" and resp.status >= 400:
            response["outcome"] = resp.resource
        else:
            out["resource"] = resp.resource
    return out

