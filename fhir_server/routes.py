"""The routing table: which interaction serves which method on which path shape, and the
:class:`~fhir_server.rest.Context` that carries it.

Path shapes follow http://hl7.org/fhir/R4/http.html (``[type]``, ``[type]/[id]``,
``[type]/[id]/_history/[vid]`` ...). Each interaction lives in a module named after it.
:func:`make_context` is the one place a Context is made (the app, the command line, loader workers,
tests): it hands the Context :func:`dispatch`, so the interactions that dispatch again (batch and
transaction entries) need not import this table.
"""

from __future__ import annotations

from fhir_server.access.policy import AccessPolicy, OpenAccess
from fhir_server.config import Settings
from fhir_server.errors import MethodNotAllowed, NotFound
from fhir_server.interactions import (
    capabilities,
    create,
    delete,
    history,
    patch,
    read,
    search_type,
    update,
    vread,
)
from fhir_server.interactions.conformance import with_packaged
from fhir_server.interactions.transaction import batch
from fhir_server.operations import document, everything, lastn, summary, validate
from fhir_server.rest import Context, FhirRequest, FhirResponse, Handler
from fhir_server.storage.mongo import Store
from fhir_server.storage.read_cache import ReadCache
from fhir_server.storage.store import ResourceStore

# (method, shape) -> handler; in a shape "T" is a resource type, "I" an id, "V" a version id.
TABLE: dict[tuple[str, tuple[str, ...]], Handler] = {
    ("GET", ("metadata",)): capabilities.handle,
    ("POST", ()): batch.handle,
    ("GET", ("_history",)): history.handle_system,
    ("GET", ("T",)): search_type.handle,
    ("POST", ("T", "_search")): search_type.handle_post,
    ("POST", ("T",)): create.handle,
    ("PUT", ("T",)): update.handle_conditional,
    ("DELETE", ("T",)): delete.handle_conditional,
    ("PATCH", ("T",)): patch.handle_conditional,
    ("GET", ("T", "_history")): history.handle_type,
    ("GET", ("T", "I")): with_packaged(read.handle),
    ("PUT", ("T", "I")): update.handle,
    ("DELETE", ("T", "I")): delete.handle,
    ("PATCH", ("T", "I")): patch.handle,
    ("GET", ("T", "I", "_history")): history.handle_instance,
    ("GET", ("T", "I", "_history", "V")): vread.handle,
    # Operations (fhir_server/operations, docs/operations.md); each checks the type it is defined on.
    ("GET", ("T", "I", "$everything")): everything.handle,
    ("POST", ("T", "I", "$everything")): everything.handle,
    ("GET", ("T", "$summary")): summary.handle,
    ("POST", ("T", "$summary")): summary.handle,
    ("GET", ("T", "I", "$summary")): summary.handle,
    ("POST", ("T", "I", "$summary")): summary.handle,
    ("GET", ("T", "$document")): document.handle,
    ("POST", ("T", "$document")): document.handle,
    ("GET", ("T", "I", "$document")): document.handle,
    ("POST", ("T", "I", "$document")): document.handle,
    ("GET", ("T", "$lastn")): lastn.handle,
    ("POST", ("T", "$lastn")): lastn.handle,
    ("POST", ("T", "$validate")): validate.handle_type,
    ("GET", ("T", "I", "$validate")): validate.handle_instance,
    ("POST", ("T", "I", "$validate")): validate.handle_instance,
}


def shape(path: list[str]) -> tuple[str, ...]:
    """Classify path segments: literal keywords stay, the rest become T, I or V by position."""
    out: list[str] = []
    for position, segment in enumerate(path):
        if segment in ("metadata", "_history", "_search") or segment.startswith("$"):
            out.append(segment)
        elif position == 0:
            out.append("T")
        elif position == 1:
            out.append("I")
        else:
            out.append("V")
    return tuple(out)


def resolve(method: str, path: list[str]) -> Handler | None:
    return TABLE.get((method.upper(), shape(path)))


def path_known(path: list[str]) -> bool:
    wanted = shape(path)
    return any(key_shape == wanted for _, key_shape in TABLE)


def dispatch(ctx: Context, req: FhirRequest) -> FhirResponse:
    """Route one request to its interaction by method and path shape."""
    handler = resolve(req.method, req.path)
    if handler is None:
        if path_known(req.path):
            raise MethodNotAllowed(f"{req.method} is not supported on /{'/'.join(req.path)}")
        raise NotFound(f"No such endpoint: /{'/'.join(req.path)}")
    return handler(ctx, req)


def make_context(settings: Settings, store: Store, cache: ReadCache | None = None,
                 policy: AccessPolicy | None = None) -> Context:
    """The Context of a server process: resource storage on ``store`` (with the read cache ``cache``,
    if any), ``policy`` (default: open access, for the command line and trusted callers) and this table."""
    return Context(settings=settings, store=ResourceStore(store, cache), policy=policy or OpenAccess(),
                   router=dispatch)
