"""Operation parameters (http://hl7.org/fhir/R4/operations.html#request).

An operation takes its parameters from the URL (``GET``, or ``POST`` with a form body) or, with
``POST``, from a ``Parameters`` resource in the body; both may be combined. Primitive values are
kept as their JSON string form, resource values as resources. A parameter the operation does not
define, a repeated single-valued one or a malformed value is a 400 OperationOutcome naming it:
an operation never silently drops what the client asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fhir_server.errors import BadRequest, NotFound
from fhir_server.rest import FhirRequest
from fhir_server.search.date import parse_range


@dataclass
class Params:
    operation: str
    values: dict[str, list[str]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def one(self, name: str) -> str | None:
        found = self.all(name)
        if len(found) > 1:
            raise BadRequest(f"{self.operation}: parameter '{name}' may be given once", expression=[name])
        if found and found[0] == "":
            raise BadRequest(f"{self.operation}: parameter '{name}' is empty", expression=[name])
        return found[0] if found else None


def collect(req: FhirRequest, operation: str, allowed: frozenset[str], *,
            passthrough: frozenset[str] = frozenset(), body_parameters: bool = True) -> Params:
    """The parameters of ``req``; names outside ``allowed`` (and ``passthrough``) are a 400."""
    params = Params(operation)
    for name, value in req.params:
        params.values.setdefault(name, []).append(value)
    if body_parameters and isinstance(req.body, dict) and req.body.get("resourceType") == "Parameters":
        _from_parameters(req.body, params)
    unknown = sorted(n for n in params.values.keys() | params.resources.keys()
                     if n not in allowed and n.split(":")[0] not in passthrough)
    if unknown:
        raise BadRequest(f"{operation}: unknown parameter{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(repr(n) for n in unknown)}", expression=unknown)
    return params


def _from_parameters(body: dict[str, Any], params: Params) -> None:
    given = body.get("parameter") or []
    if not isinstance(given, list):
        raise BadRequest(f"{params.operation}: Parameters.parameter must be an array",
                         expression=["Parameters.parameter"])
    for i, parameter in enumerate(given):
        name = parameter.get("name") if isinstance(parameter, dict) else None
        if not isinstance(name, str):
            raise BadRequest(f"{params.operation}: Parameters.parameter[{i}] has no name",
                             expression=[f"Parameters.parameter[{i}].name"])
        if "resource" in parameter:
            params.resources[name] = parameter["resource"]
            continue
        value = next((v for k, v in parameter.items() if k.startswith("value")), None)
        if value is None or isinstance(value, (dict, list)):
            raise BadRequest(f"{params.operation}: parameter '{name}' needs a primitive value",
                             expression=[f"Parameters.parameter[{i}]"])
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        params.values.setdefault(name, []).append(text)


def date_range(params: Params, name: str) -> tuple[datetime, datetime] | None:
    """A FHIR date/dateTime parameter as the inclusive instant range its precision covers."""
    raw = params.one(name)
    if raw is None:
        return None
    found = parse_range(raw)
    if found is None:
        raise BadRequest(f"{params.operation}: '{name}' must be a FHIR date or dateTime, got {raw!r}",
                         expression=[name])
    return found


def integer(params: Params, name: str, *, minimum: int, maximum: int | None = None) -> int | None:
    raw = params.one(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum or (maximum is not None and value > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        raise BadRequest(f"{params.operation}: '{name}' must be an integer of at least {minimum}{bound}, "
                         f"got {raw!r}", expression=[name])
    return value


def boolean(params: Params, name: str) -> bool | None:
    raw = params.one(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise BadRequest(f"{params.operation}: '{name}' must be true or false, got {raw!r}", expression=[name])
    return raw == "true"


def require_type(req: FhirRequest, resource_type: str, operation: str) -> None:
    """Operations are defined on one type: on another, the endpoint does not exist (404)."""
    if req.path[0] != resource_type:
        raise NotFound(f"{operation} is defined on {resource_type}, not on {req.path[0]}")
