"""Rewriting references inside a transaction to the ids the entries will have.

http://hl7.org/fhir/R4/http.html#trules: a reference to an entry's ``fullUrl`` (``urn:uuid:``,
``urn:oid:`` or an absolute URL) becomes ``Type/id``; a conditional reference
(``Type?params``) becomes the ``Type/id`` of its single match. A ``urn:uuid:`` that names no
entry of the bundle cannot be resolved and fails the transaction. Any other string that is
exactly an entry's ``urn:uuid:`` (an Attachment url, say) becomes that entry's ``Type/id`` too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhir_server.errors import BadRequest, InvalidResource
from fhir_server.spec.resource_types import is_resource_type
from fhir_server.validation.resource_body import MAX_DEPTH

Node = dict[str, Any] | list[Any]


def rewrite_references(resource: dict[str, Any], ids: dict[str, str],
                       conditional: Callable[[str], str]) -> dict[str, Any]:
    """``resource`` with every reference resolved; the input is left unchanged.

    Only the objects and arrays on the way to a rewritten value are copied: the rest of the
    result is shared with the input (a resource of a Synthea bundle has a few references among
    some thirty objects), which saves building, and later collecting, a whole copy.
    """
    rewritten = _rewritten(resource, ids, conditional, 1)
    return resource if rewritten is None else rewritten  # type: ignore[return-value]  # a copy of the same shape


def _rewritten(node: Node, ids: dict[str, str], conditional: Callable[[str], str], depth: int) -> Node | None:
    """A copy of ``node`` with its references rewritten, or None when nothing in it changes.

    Recursive, so held to the nesting a resource may have at all (bundles loaded from files do
    not go through the HTTP body check).
    """
    if depth > MAX_DEPTH:
        raise InvalidResource(f"The resource nests arrays and objects more than {MAX_DEPTH} levels deep")
    copy: Node | None = None
    for key, value in node.items() if isinstance(node, dict) else enumerate(node):
        kind = type(value)  # exact types first: parsed JSON holds nothing else, and this is hot
        if kind is str or isinstance(value, str):
            if key == "reference":
                new: Any = _resolve(value, ids, conditional)
            elif value.startswith("urn:uuid:"):  # e.g. an Attachment url naming an entry
                new = ids.get(value, value)
            else:
                continue
            if new == value:
                continue
        elif kind is dict or kind is list or isinstance(value, (dict, list)):
            new = _rewritten(value, ids, conditional, depth + 1)
            if new is None:
                continue
        else:
            continue
        if copy is None:
            copy = dict(node) if isinstance(node, dict) else list(node)
        copy[key] = new  # type: ignore[index]  # copy is the list or dict walked
    return copy


def _resolve(reference: str, ids: dict[str, str], conditional: Callable[[str], str]) -> str:
    if reference in ids:
        return ids[reference]
    if reference.startswith("urn:uuid:"):
        raise BadRequest(f"The reference {reference} names no entry of the transaction")
    head, sep, _ = reference.partition("?")
    if sep and is_resource_type(head):
        return conditional(reference)
    return reference
