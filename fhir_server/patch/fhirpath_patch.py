"""FHIRPath Patch (http://hl7.org/fhir/R4/fhirpatch.html) for the FHIR patch interaction.

http://hl7.org/fhir/R4/http.html#patch: a ``Parameters`` body is a FHIRPath Patch. This module
reads the Parameters (section "Parameters Format": one parameter named ``operation`` per change,
with parts ``type``, ``path``, ``name``, ``value``, ``index``, ``source``, ``destination``), and
applies the operations "in order, with each operation applied to the result of the previous patch
operation" to a copy of the resource (:mod:`fhir_server.patch.operations`).

A Parameters body that does not describe operations (wrong parameter names, missing or mistyped
parts, an unknown type, a path that is not FHIRPath) is a malformed request: 400. A well-formed
patch that does not fit the resource (nothing or several things at the path, wrong value type, index
out of range, changed ``id``) cannot be applied: 422.
"""

from __future__ import annotations

import copy
from typing import Any

from fhir_server.errors import BadRequest
from fhir_server.patch.guard import ensure_same_resource
from fhir_server.patch.operations import Operation, apply_operation

#: The parts each operation type needs (fhirpatch.html, table "Conceptual FHIRPath Operations").
_REQUIRED: dict[str, tuple[str, ...]] = {
    "add": ("path", "name", "value"),
    "insert": ("path", "value", "index"),
    "delete": ("path",),
    "replace": ("path", "value"),
    "move": ("path", "source", "destination"),
}
_PARTS = frozenset({"type", "path", "name", "value", "index", "source", "destination"})
_INTEGER_KEYS = ("valueInteger", "valueUnsignedInt", "valuePositiveInt")
_STRING_KEYS = ("valueString", "valueCode")


def apply_fhirpath_patch(resource: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Apply the FHIRPath Patch ``parameters`` to a copy of ``resource`` and return the copy."""
    operations = parse_operations(parameters)
    result = copy.deepcopy(resource)
    for op in operations:
        apply_operation(result, op)
    return ensure_same_resource(resource, result)


def parse_operations(parameters: Any) -> list[Operation]:
    """The operations of a FHIRPath Patch ``Parameters`` resource, checked for shape."""
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise BadRequest("a FHIRPath Patch must be a Parameters resource")
    params = parameters.get("parameter", [])
    if not isinstance(params, list):
        raise BadRequest("Parameters.parameter must be an array")
    return [_operation(param, n) for n, param in enumerate(params)]


def _operation(param: Any, n: int) -> Operation:
    where = f"Parameters.parameter[{n}]"
    if not isinstance(param, dict) or param.get("name") != "operation":
        raise BadRequest(f"{where}: every FHIRPath Patch parameter must be named 'operation'")
    parts = param.get("part")
    if not isinstance(parts, list):
        raise BadRequest(f"{where}: an operation needs its parts (type, path, ...)")
    by_name: dict[str, dict[str, Any]] = {}
    for m, part in enumerate(parts):
        name = part.get("name") if isinstance(part, dict) else None
        if name not in _PARTS:
            raise BadRequest(f"{where}.part[{m}]: unknown FHIRPath Patch part {name!r}")
        if name in by_name:
            raise BadRequest(f"{where}: part '{name}' is given more than once")
        by_name[name] = part
    op_type = _string(by_name, "type", where)
    if op_type not in _REQUIRED:
        raise BadRequest(f"{where}: unknown FHIRPath Patch operation type {op_type!r}")
    missing = [p for p in _REQUIRED[op_type] if p not in by_name]
    if missing:
        raise BadRequest(f"{where}: a '{op_type}' operation needs {', '.join(missing)}")
    return Operation(
        type=op_type,
        path=_string(by_name, "path", where) or "",
        name=_string(by_name, "name", where),
        value=by_name.get("value"),
        index=_integer(by_name, "index", where),
        source=_integer(by_name, "source", where),
        destination=_integer(by_name, "destination", where),
    )


def _string(parts: dict[str, dict[str, Any]], name: str, where: str) -> str | None:
    part = parts.get(name)
    if part is None:
        if name in ("type", "path"):
            raise BadRequest(f"{where}: a FHIRPath Patch operation needs a '{name}' part")
        return None
    values = [part[k] for k in _STRING_KEYS if k in part]
    if len(values) != 1 or not isinstance(values[0], str) or not values[0].strip():
        raise BadRequest(f"{where}: part '{name}' needs a non-empty valueString or valueCode")
    return values[0].strip()


def _integer(parts: dict[str, dict[str, Any]], name: str, where: str) -> int | None:
    part = parts.get(name)
    if part is None:
        return None
    values = [part[k] for k in _INTEGER_KEYS if k in part]
    if len(values) != 1 or isinstance(values[0], bool) or not isinstance(values[0], int):
        raise BadRequest(f"{where}: part '{name}' needs a valueInteger")
    if values[0] < 0:
        raise BadRequest(f"{where}: part '{name}' must not be negative")
    return values[0]
