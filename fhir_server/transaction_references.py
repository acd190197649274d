"""Rewriting references inside a transaction to the ids the entries will have.

http://hl7.org/fhir/R4/http.html#trules: a reference to an entry's ``fullUrl`` (``urn:uuid:``,
``urn:oid:`` or an absolute URL) becomes ``Type/id``; a conditional reference
(``Type?params``) becomes the ``Type/id`` of its single match. A ``urn:uuid:`` that names no
entry of the bundle cannot be resolved and fails the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from fhir_server.errors import BadRequest
from fhir_server.resource_types import is_resource_type


# orjson writes compact JSON, so a reference element is always the bytes "reference":"...".
# Inside a JSON string every quote is escaped, so these patterns only ever match real elements.
_REFERENCE = re.compile(rb'"reference":"((?:[^"\\]|\\.)*)"')
_URN = re.compile(rb'"(urn:uuid:[^"\\]*)"')


def rewrite_references(resource: dict[str, Any], ids: dict[str, str],
                       conditional: Callable[[str], str]) -> dict[str, Any]:
    """A copy of ``resource`` with every reference resolved (the input is left unchanged).

    Works on the serialised JSON: one C-speed pass instead of a Python walk over every element.
    """
    raw = orjson.dumps(resource)
    if b"urn:" not in raw and b"?" not in raw:
        return resource  # nothing to rewrite: no bundle-local or conditional reference

    def reference(match: re.Match[bytes]) -> bytes:
        raw_value = match.group(1)
        value = orjson.loads(b'"' + raw_value + b'"') if b"\\" in raw_value else raw_value.decode()
        return b'"reference":' + orjson.dumps(_resolve(value, ids, conditional))

    def other(match: re.Match[bytes]) -> bytes:
        # e.g. an Attachment url or a narrative link naming a bundle entry
        target = ids.get(match.group(1).decode())
        return orjson.dumps(target) if target else match.group(0)

    return orjson.loads(_URN.sub(other, _REFERENCE.sub(reference, raw)))


def _resolve(reference: str, ids: dict[str, str], conditional: Callable[[str], str]) -> str:
    if reference in ids:
        return ids[reference]
    if reference.startswith("urn:uuid:"):
        raise BadRequest(f"The reference {reference} names no entry of the transaction")
    head, sep, _ = reference.partition("?")
    if sep and is_resource_type(head):
        return conditional(reference)
    return reference
