"""Rewriting references inside a transaction to the ids the entries will have.

http://hl7.org/fhir/R4/http.html#trules: a reference to an entry's ``fullUrl`` (``urn:uuid:``,
``urn:oid:`` or an absolute URL) becomes ``Type/id``; a conditional reference
(``Type?params``) becomes the ``Type/id`` of its single match. A ``urn:uuid:`` that names no
entry of the bundle cannot be resolved and fails the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhir_server.errors import BadRequest
from fhir_server.resource_types import is_resource_type


def rewrite_references(resource: dict[str, Any], ids: dict[str, str],
                       conditional: Callable[[str], str]) -> dict[str, Any]:
    """A copy of ``resource`` with every reference resolved (the input is left unchanged)."""
    return _walk(resource, ids, conditional)


def _walk(value: Any, ids: dict[str, str], conditional: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                out[key] = _resolve(item, ids, conditional)
            else:
                out[key] = _walk(item, ids, conditional)
        return out
    if isinstance(value, list):
        return [_walk(item, ids, conditional) for item in value]
    if isinstance(value, str) and value in ids and value.startswith("urn:"):
        return ids[value]  # e.g. an Attachment url or a narrative link to a bundle entry
    return value


def _resolve(reference: str, ids: dict[str, str], conditional: Callable[[str], str]) -> str:
    if reference in ids:
        return ids[reference]
    if reference.startswith("urn:uuid:"):
        raise BadRequest(f"The reference {reference} names no entry of the transaction")
    head, sep, _ = reference.partition("?")
    if sep and is_resource_type(head):
        return conditional(reference)
    return reference
