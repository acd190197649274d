"""batch and transaction: ``POST [base]`` with a Bundle (http://hl7.org/fhir/R4/http.html#transaction).

A transaction is atomic: it runs in one MongoDB transaction and any failing entry fails the
whole bundle, leaving nothing stored. Its entries are processed in the spec's order (DELETE,
POST, PUT/PATCH, GET; http.html#trules) after every ``fullUrl`` (``urn:uuid:`` included) has
been given its final ``Type/id`` and every reference to it rewritten; conditional references
(``Patient?identifier=...``) resolve to their single match. A batch runs each entry on its own.
Every entry goes through :func:`fhir_server.rest.dispatch`, the same path as a direct request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

from pymongo.client_session import ClientSession

from fhir_server.errors import BadRequest, FhirError
from fhir_server.interactions import create
from fhir_server.interactions.transaction.entries import (
    Entry,
    parse_entries,
    resolve_conditional_reference,
)
from fhir_server.interactions.transaction.references import rewrite_references
from fhir_server.rest import Context, FhirRequest, FhirResponse, Headers
from fhir_server.search.extract import extract
from fhir_server.spec.fhir_dates import format_instant
from fhir_server.storage.store import new_id

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
    # Kept apart from the entries: a transient error re-runs this function with fresh ids, and
    # the references must then be rewritten again from the bundle as it was sent.
    resources = {entry.index: _resolving_references(ctx, entry, entry.resource, ids, session)
                 for entry in entries if entry.resource is not None}
    responses: dict[int, FhirResponse] = {}
    _bulk_create(ctx, req, [e for e in entries if e.plain_create], resources, session, responses)
    for entry in sorted((e for e in entries if not e.plain_create), key=lambda e: ORDER[e.method]):
        try:
            responses[entry.index] = ctx.dispatch(_entry_request(req, entry, session, resources.get(entry.index)))
        except FhirError as exc:
            raise _entry_failure(entry, exc) from exc
    return [responses[i] for i in range(len(entries))]


def _resolving_references(ctx: Context, entry: Entry, resource: dict[str, Any], ids: dict[str, str],
                          session: ClientSession) -> dict[str, Any]:
    """The entry's resource with its references resolved (http.html#trules)."""
    try:
        return rewrite_references(resource, ids, lambda ref: resolve_conditional_reference(ctx, ref, session))
    except FhirError as exc:
        raise _entry_failure(entry, exc) from exc


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


def _bulk_create(ctx: Context, req: FhirRequest, entries: list[Entry], resources: dict[int, dict[str, Any]],
                 session: ClientSession, responses: dict[int, FhirResponse]) -> None:
    """Plain creates are prepared exactly as ``create`` does, then stored with one insert_many."""
    prepared = []
    pending = PendingCompartments({f"{e.path[0]}/{e.assigned_id}": resources[e.index] for e in entries})
    for entry in entries:
        try:
            resource = create.prepare(ctx, entry.path[0], resources[entry.index], pending)
        except FhirError as exc:
            raise _entry_failure(entry, exc) from exc
        prepared.append({**resource, "id": entry.assigned_id})
    docs = ctx.store.insert_many_new(prepared, session)
    from fhir_server.interactions.responses import (
        write_response,  # import here: responses imports rest
    )

    for entry, doc in zip(entries, docs, strict=True):
        responses[entry.index] = write_response(ctx, req, doc, 201, with_location=True)


class PendingCompartments(Mapping[str, list[str]]):
    """Compartments of the resources a transaction creates, computed only when one points at another
    (a Provenance at the Observations it records: linked_compartments)."""

    def __init__(self, resources: dict[str, dict[str, Any]]) -> None:
        self._resources = resources
        self._compartments: dict[str, list[str]] = {}

    def __getitem__(self, key: str) -> list[str]:
        if key not in self._compartments:
            self._compartments[key] = extract(self._resources[key]).compartments
        return self._compartments[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resources)

    def __len__(self) -> int:
        return len(self._resources)


def _entry_request(req: FhirRequest, entry: Entry, session: ClientSession | None,
                   resource: dict[str, Any] | None = None) -> FhirRequest:
    """The request of one entry; ``resource`` is its resource with references rewritten, if any."""
    headers = Headers({k: v for k, v in entry.headers.items() if v})
    if req.headers.get("prefer"):
        headers["prefer"] = req.headers["prefer"]
    if resource is None:
        resource = entry.resource
    return FhirRequest(method=entry.method, path=entry.path, params=entry.params, headers=headers,
                       body=resource if resource is not None else entry.body,
                       session=session, assigned_id=entry.assigned_id)


def _batch_entry(ctx: Context, req: FhirRequest, entry: Entry) -> FhirResponse:
    try:
        if entry.error is not None:
            raise entry.error
        return ctx.dispatch(_entry_request(req, entry, None))
    except FhirError as exc:
        return FhirResponse(exc.status, exc.outcome())


def _entry_failure(entry: Entry, exc: FhirError) -> FhirError:
    """The error of a failing transaction entry, naming the entry."""
    for issue in exc.issues:
        issue.diagnostics = f"Bundle.entry[{entry.index}]: {issue.diagnostics}"
    return exc


@lru_cache(maxsize=256)
def _instant(http_date: str) -> str:
    """A ``Last-Modified`` HTTP date as a FHIR instant (cached: a bundle's writes share one)."""
    return format_instant(parsedate_to_datetime(http_date))


def _response_entry(resp: FhirResponse) -> dict[str, Any]:
    response: dict[str, Any] = {"status": STATUS_TEXT.get(resp.status, str(resp.status))}
    for header, key in (("Location", "location"), ("ETag", "etag"), ("Last-Modified", "lastModified")):
        if header in resp.headers:
            response[key] = resp.headers[header]
    if "lastModified" in response:
        response["lastModified"] = _instant(response["lastModified"])
    out: dict[str, Any] = {"response": response}
    if resp.resource is not None:
        if resp.resource.get("resourceType") == "OperationOutcome" and resp.status >= 400:
            response["outcome"] = resp.resource
        else:
            out["resource"] = resp.resource
    return out

