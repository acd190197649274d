"""``GET|POST [base]/Composition/[id]/$document`` and ``[base]/Composition/$document?id=[id]``
(http://hl7.org/fhir/R4/composition-operation-document.html, http://hl7.org/fhir/R4/documents.html).

Builds the document Bundle of a Composition (a discharge summary, an examination protocol): the
Composition first, then every resource it refers to, directly or through the resources it
brings in (subject, encounter, authors, attesters, custodian, section entries, and what those
refer to), so that every literal reference inside the Bundle resolves to one of its entries
(documents.html#content). References to other servers, to ``urn:`` ids and into ``contained``
are left as they are; a version-specific reference resolves to the current version. A
reference the caller may not see, or to a deleted resource, is left unresolved: such a target
is answered exactly like an absent one.

``persist=true`` also stores the document as a Bundle (a create, validated and checked by the
access policy like any other); the answer is then the stored Bundle with its ``Location``.
``graph`` (GraphDefinition-driven documents) is not supported: 400.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from pymongo.client_session import ClientSession

from fhir_server.errors import BadRequest
from fhir_server.interactions import create
from fhir_server.interactions.read import load_visible
from fhir_server.interactions.responses import location
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.spec.fhir_dates import format_instant
from fhir_server.spec.resource_types import ID_PATTERN, check_id, is_resource_type
from fhir_server.storage.store import now

from .compartment_query import PROJECTION
from .params import boolean, collect, require_type

NAME = "$document"
#: Resources one document may gather before the operation refuses (an unbounded reference graph).
MAX_RESOURCES = 2000


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    require_type(req, "Composition", NAME)
    params = collect(req, NAME, frozenset({"id", "persist", "graph"}))
    if params.all("graph"):
        raise BadRequest(f"{NAME}: the 'graph' parameter is not supported", expression=["graph"])
    persist = boolean(params, "persist") or False
    cid = req.path[1] if len(req.path) > 2 else params.one("id")
    if len(req.path) > 2 and params.all("id"):
        raise BadRequest(f"{NAME}: 'id' is given by the URL already", expression=["id"])
    if cid is None:
        raise BadRequest(f"{NAME}: which Composition? Use Composition/[id]/$document or ?id=", expression=["id"])
    composition = load_visible(ctx, "Composition", check_id(cid), req)
    bundle = document_bundle(ctx, composition)
    if not persist:
        return FhirResponse(200, bundle)
    return _persist(ctx, req, bundle)


def document_bundle(ctx: Context, composition: dict[str, Any]) -> dict[str, Any]:
    docs = gather(ctx, composition)
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "type": "document",
        "timestamp": format_instant(now()),
        "entry": [{"fullUrl": f"{ctx.base_url}/{d['t']}/{d['id']}", "resource": d["res"]} for d in docs],
    }


def gather(ctx: Context, start: dict[str, Any]) -> list[dict[str, Any]]:
    """``start`` and the transitive closure of its references, breadth first, each once."""
    found: dict[str, dict[str, Any]] = {start["_id"]: start}
    frontier = [start]
    while frontier:
        wanted = sorted({key for doc in frontier for key in local_references(doc["res"], ctx.base_url)} - found.keys())
        frontier = _load(ctx, wanted) if wanted else []
        for doc in frontier:
            found[doc["_id"]] = doc
        if len(found) > MAX_RESOURCES:
            raise BadRequest(f"{NAME}: the document would hold more than {MAX_RESOURCES} resources")
    return list(found.values())


def local_references(value: Any, base_url: str) -> Iterator[str]:
    """``Type/id`` of every literal reference in ``value`` that points into this server."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                target = _local(item, base_url)
                if target:
                    yield target
            elif key != "contained":
                yield from local_references(item, base_url)
    elif isinstance(value, list):
        for item in value:
            yield from local_references(item, base_url)


def _local(reference: str, base_url: str) -> str | None:
    if reference.startswith(("#", "urn:")):
        return None
    if "://" in reference:
        if not reference.startswith(base_url + "/"):
            return None
        reference = reference[len(base_url) + 1:]
    parts = reference.split("/_history/")[0].split("/")
    if len(parts) != 2 or not is_resource_type(parts[0]) or not ID_PATTERN.match(parts[1]):
        return None
    return f"{parts[0]}/{parts[1]}"


def _load(ctx: Context, keys: list[str]) -> list[dict[str, Any]]:
    """The visible current documents of ``keys`` (``Type/id``), each type narrowed by the policy."""
    by_type: dict[str, list[str]] = {}
    for key in keys:
        by_type.setdefault(key.split("/")[0], []).append(key)
    clauses = []
    for rtype, ids in sorted(by_type.items()):
        narrowing = ctx.policy.search_filter(rtype)
        clause: dict[str, Any] = {"_id": {"$in": ids}}
        clauses.append({"$and": [clause, narrowing]} if narrowing else clause)
    query = {"del": {"$ne": True}, **(clauses[0] if len(clauses) == 1 else {"$or": clauses})}
    docs = {d["_id"]: d for d in ctx.store.find(query, projection={**PROJECTION, "_id": 1})}
    return [docs[k] for k in keys if k in docs and ctx.policy.visible(docs[k])]


def _persist(ctx: Context, req: FhirRequest, bundle: dict[str, Any]) -> FhirResponse:
    resource = create.prepare(ctx, "Bundle", bundle)

    def work(session: ClientSession) -> dict[str, Any]:
        return ctx.store.create(resource, session)

    doc = ctx.in_transaction(req, work)
    return FhirResponse(200, doc["res"], {"Location": location(ctx, doc)})
