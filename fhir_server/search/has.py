"""Reverse chaining: ``_has`` (http://hl7.org/fhir/R4/search.html#has).

``Patient?_has:Observation:patient:code=1234-5`` means "patients referred to by the ``patient``
parameter of some Observation with code 1234-5". Compiled inside out like :mod:`.chain`: the
inner Observation search runs first (index-backed, at most :data:`~.chain.LIMIT` matches), the
values of its ``patient`` entries that point to a Patient are collected, and the outer clause
is ``{_id: {$in: ["Patient/...", ...]}}``, served by the ``_id`` index. The part after the
reference parameter is itself any search parameter, a modifier, a chain or another ``_has``
(``_has:Observation:patient:_has:AuditEvent:entity:agent=...``).
"""

from __future__ import annotations

from typing import Any

from fhir_server.spec.resource_types import is_resource_type

from ..errors import BadRequest
from .chain import LIMIT, InnerCompiler, Resolver, TooCostly, reference_param, require_resolver


def has_clause(resource_type: str, name: str, raw: str, resolver: Resolver | None,
               compile_inner: InnerCompiler) -> dict[str, Any]:
    """The outer clause of ``_has:[type]:[reference]:[parameter]=raw``."""
    parts = name.split(":", 3)
    if len(parts) != 4 or not all(parts[1:]):
        raise BadRequest(f"Search parameter {name!r}: expected _has:[type]:[reference]:[parameter]")
    _, source, code, rest = parts
    if not is_resource_type(source):
        raise BadRequest(f"Search parameter {name!r}: unknown resource type {source!r}")
    param = reference_param(source, code, name)
    if param.targets and resource_type not in param.targets and "Resource" not in param.targets:
        raise BadRequest(f"Search parameter {name!r}: {source}.{code} does not refer to {resource_type}")
    inner = compile_inner(source, [(rest, raw)])
    found = require_resolver(name, resolver).references(source, inner.filter, code, LIMIT)
    if found is None:
        raise TooCostly(f"Search parameter {name!r} matches more than {LIMIT} {source} resources; narrow it")
    prefix = resource_type + "/"
    ids = sorted({v for v in found if v.startswith(prefix) and "/" not in v[len(prefix):]})
    return {"_id": {"$in": ids}}
