"""The routing table: which interaction serves which method on which path shape.

Path shapes follow http://hl7.org/fhir/R4/http.html (``[type]``, ``[type]/[id]``,
``[type]/[id]/_history/[vid]`` ...). Each interaction lives in a module named after it.
"""

from __future__ import annotations

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
from fhir_server.rest import Handler

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
