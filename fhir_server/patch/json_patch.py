"""JSON Patch (RFC 6902, https://www.rfc-editor.org/rfc/rfc6902) for the FHIR patch interaction.

http://hl7.org/fhir/R4/http.html#patch: servers may accept ``application/json-patch+json``. The
jsonpatch library does the work; this module decides what is whose fault:

* a document that is not a JSON Patch (not an array of operation objects, unknown ``op``, a
  ``path``/``from`` that is not a JSON Pointer, a missing ``value``) is a malformed request: 400;
* a well-formed patch that cannot be applied (absent target, failed ``test``, a result that is not
  the same resource) is 422, as http.html#patch asks for "a patch that cannot be applied".

``test`` compares strictly, as RFC 6902 section 4.6 says: values "are considered equal if ... of the
same JSON type"; Python's ``True == 1`` and jsonpatch's plain ``!=`` would let ``true`` match ``1``.
"""

from __future__ import annotations

import copy
from types import MappingProxyType
from typing import Any

import jsonpatch
from jsonpointer import JsonPointer, JsonPointerException

from fhir_server.errors import BadRequest, UnprocessableEntity
from fhir_server.patch.guard import ensure_same_resource

_OPS_NEEDING_VALUE = frozenset({"add", "replace", "test"})
_OPS_NEEDING_FROM = frozenset({"move", "copy"})


def apply_json_patch(resource: dict[str, Any], patch: Any) -> dict[str, Any]:
    """Apply the RFC 6902 ``patch`` to a copy of ``resource`` and return the copy.

    Raises :class:`BadRequest` for a malformed patch document and :class:`UnprocessableEntity` when
    the patch cannot be applied or would change ``resourceType`` or ``id``.
    """
    _validate(patch)
    try:
        result = _StrictJsonPatch(copy.deepcopy(patch)).apply(
            copy.deepcopy(resource), in_place=True
        )
    except jsonpatch.InvalidJsonPatch as exc:
        raise BadRequest(f"invalid JSON Patch: {exc}") from exc
    except (jsonpatch.JsonPatchException, JsonPointerException) as exc:
        raise UnprocessableEntity(f"JSON Patch cannot be applied: {exc}") from exc
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        # jsonpointer walking through a string or number, e.g. "/birthDate/0"
        raise UnprocessableEntity(f"JSON Patch cannot be applied: {exc!r}") from exc
    return ensure_same_resource(resource, result)


def _validate(patch: Any) -> None:
    """RFC 6902 section 3 and 4: an array of objects with a known ``op`` and its members."""
    if not isinstance(patch, list):
        raise BadRequest("a JSON Patch document must be a JSON array of operations")
    for n, op in enumerate(patch):
        if not isinstance(op, dict):
            raise BadRequest(f"JSON Patch operation {n} is not an object")
        name = op.get("op")
        if name not in _StrictJsonPatch.operations:
            raise BadRequest(f"JSON Patch operation {n} has an unknown 'op': {name!r}")
        members = ["path"] + (["from"] if name in _OPS_NEEDING_FROM else [])
        for member in members:
            _pointer(op.get(member), f"operation {n} '{member}'")
        if name in _OPS_NEEDING_VALUE and "value" not in op:
            raise BadRequest(f"JSON Patch operation {n} ({name}) needs a 'value'")


def _pointer(value: Any, where: str) -> None:
    if not isinstance(value, str):
        raise BadRequest(f"JSON Patch {where} must be a JSON Pointer string")
    try:
        JsonPointer(value)
    except JsonPointerException as exc:
        raise BadRequest(f"JSON Patch {where} is not a JSON Pointer: {exc}") from exc


def _same_json(a: Any, b: Any) -> bool:
    """JSON equality (RFC 6902 section 4.6): same type, numbers by value, objects by members."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


class _StrictTest(jsonpatch.TestOperation):
    def apply(self, obj: Any) -> Any:
        try:
            subobj, part = self.pointer.to_last(obj)
            actual = subobj if part is None else self.pointer.walk(subobj, part)
        except JsonPointerException as exc:
            raise jsonpatch.JsonPatchTestFailed(str(exc)) from exc
        expected = self.operation["value"]
        if not _same_json(actual, expected):
            raise jsonpatch.JsonPatchTestFailed(
                f"test failed at {self.location}: {actual!r} is not {expected!r}"
            )
        return obj


class _StrictJsonPatch(jsonpatch.JsonPatch):
    operations = MappingProxyType({**jsonpatch.JsonPatch.operations, "test": _StrictTest})
