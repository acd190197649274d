"""Structural validation of FHIR R4 (4.0.1) resources: the one check every write runs.

What is checked, for all R4 resource types:

* ``resourceType`` present and known;
* structure: known elements only, JSON types, cardinality (arrays vs single values, no
  empty arrays, no nulls), required elements, one value per choice ``x[x]``, primitive
  formats (ids, dates, instants, decimals...). R4B models from fhir.resources do this for
  the types R4B kept (see :mod:`.compiler` for how they are made fast); the official R4
  JSON schema does it for the rest (:mod:`.r4_schema`);
* the required bindings of the base spec (``Observation.status``, ``Patient.gender``,
  ``Bundle.type``... in resources, backbone elements and datatypes), taken from the R4
  schema's ``enum`` s;
* resources nested in ``contained``, ``Bundle.entry.resource``,
  ``Bundle.entry.response.outcome`` and ``Parameters.parameter.resource``, each with its
  own type's rules.

* the rules on contained resources (dom-2 to dom-5, and an ``id`` on each): no nested
  ``contained``, no ``meta.versionId``, ``meta.lastUpdated`` or ``meta.security``, and each
  one referenced as ``#id`` from somewhere in its container (or referring to the container
  with ``#``).

Not checked: other invariants (FHIRPath constraints such as ``ele-1``), profiles,
and extensible or preferred bindings.

Each issue carries a FHIRPath-like ``expression`` such as ``Patient.name[0].given`` or,
inside a Bundle, ``Bundle.entry[3].resource.status``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from pydantic_core import ValidationError

from fhir_server.errors import InvalidResource, Issue

from . import r4_schema
from .compiler import validator_for
from .issues import from_pydantic, json_type
from .tables import resource_types, schema_types, tables

__all__ = ["check_resource", "validate_structure", "warm_up"]


def validate_structure(resource: dict[str, Any], at: str | None = None) -> list[Issue]:
    """Every structural issue of ``resource`` (an empty list when it is valid).

    ``at`` locates the resource when it came inside another one, so that expressions
    read ``Bundle.entry[3].resource.status`` rather than ``Observation.status``. Validating
    a whole Bundle already validates its entries: do not validate them again.
    """
    issues: list[Issue] = []
    todo: deque[tuple[Any, str | None]] = deque([(resource, at)])
    while todo:  # a loop, not recursion: Bundles nest Bundles as deep as a client likes
        todo.extend(_validate(*todo.popleft(), issues))
    return issues


def check_resource(resource: dict[str, Any], at: str | None = None) -> None:
    """Raise :class:`InvalidResource` (400) listing every issue, if there is any."""
    issues = validate_structure(resource, at)
    if issues:
        first = issues[0]
        more = f" (and {len(issues) - 1} more issues)" if len(issues) > 1 else ""
        where = f"{first.expression[0]}: " if first.expression else ""
        raise InvalidResource(f"Invalid resource: {where}{first.diagnostics}{more}", issues=issues)


def warm_up(types: Iterable[str] | None = None) -> None:
    """Build the validators now (all types by default, about 3 s) rather than on first use."""
    for rtype in sorted(types if types is not None else resource_types()):
        if rtype in schema_types():
            r4_schema.warm_up(rtype)
        else:
            validator_for(rtype)


def _validate(resource: Any, where: str | None, issues: list[Issue]) -> list[tuple[Any, str]]:
    """Validate one resource found at ``where`` (None for the top level).

    Returns the resources nested in it, with their locations, for the caller to validate.
    """
    at = where or ""
    if not isinstance(resource, dict):
        issues.append(Issue("structure", f"A resource must be a JSON object, got {json_type(resource)}",
                            expression=[at] if at else []))
        return []
    rtype = resource.get("resourceType")
    if rtype is None:
        issues.append(Issue("required", "Missing required element 'resourceType'",
                            expression=[f"{where}.resourceType" if where else "resourceType"]))
        return []
    if not isinstance(rtype, str) or rtype not in resource_types():
        issues.append(Issue("structure", f"Unknown resource type {rtype!r}",
                            expression=[f"{where}.resourceType" if where else "resourceType"]))
        return []
    base = where or rtype
    if rtype in schema_types():
        issues.extend(r4_schema.check(resource, base))
    else:
        try:
            validator_for(rtype).validate_python(resource)
        except ValidationError as exc:
            issues.extend(from_pydantic(base, exc.errors(include_url=False)))
    contained = resource.get("contained")
    if contained and isinstance(contained, list):
        issues.extend(_contained_rules(resource, contained, base))
    return _nested(resource, rtype, base)


def _contained_rules(resource: dict[str, Any], contained: list[Any], base: str) -> list[Issue]:
    """dom-2 to dom-5 (http://hl7.org/fhir/R4/domainresource.html#invs) and the ``id`` a contained
    resource must have to be referenced at all. Only resources with ``contained`` pay for this."""
    found: list[Issue] = []
    local = _local_references(resource)
    for i, child in enumerate(contained):
        if not isinstance(child, dict):
            continue  # reported by the structure check
        at = f"{base}.contained[{i}]"
        rid = child.get("id")
        if not isinstance(rid, str) or not rid:
            found.append(Issue("invariant", "A contained resource must have an id, by which its container "
                                            "refers to it", expression=[at]))
        elif f"#{rid}" not in local and "#" not in _local_references(child):
            found.append(Issue("invariant", f"dom-3: the contained resource '{rid}' is not referenced as "
                                            f"'#{rid}' from elsewhere in the resource, nor refers to it with '#'",
                               expression=[at]))
        if "contained" in child:
            found.append(Issue("invariant", "dom-2: a contained resource may not contain resources itself",
                               expression=[f"{at}.contained"]))
        meta = child.get("meta")
        if isinstance(meta, dict):
            for key, rule in (("versionId", "dom-4"), ("lastUpdated", "dom-4"), ("security", "dom-5")):
                if key in meta:
                    found.append(Issue("invariant", f"{rule}: a contained resource may not have meta.{key}",
                                       expression=[f"{at}.meta.{key}"]))
    return found


def _local_references(value: Any) -> set[str]:
    """Every string starting with ``#`` in ``value`` (references, canonicals, uris and urls alike, as
    dom-3 looks at all of them)."""
    found: set[str] = set()
    todo: list[Any] = [value]
    while todo:  # a loop: the resource was held to its nesting limit, but stays cheap either way
        node = todo.pop()
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, str):
                if child.startswith("#"):
                    found.add(child)
            elif isinstance(child, (dict, list)):
                todo.append(child)
    return found


def _nested(resource: dict[str, Any], rtype: str, base: str) -> list[tuple[Any, str]]:
    """The resources inside ``resource``, found by following the schema's resource slots.

    The validators treat a nested resource as an opaque object; it is checked with its
    own type's rules. Ill-typed containers were reported already and are skipped.
    """
    found: list[tuple[Any, str]] = []
    contained = resource.get("contained")
    if isinstance(contained, list):
        found.extend((child, f"{base}.contained[{i}]") for i, child in enumerate(contained))
    slots: dict[str, dict[str, str | None]] = tables()["resourceSlots"]
    if rtype not in slots:
        return found
    todo: deque[tuple[Any, str, str]] = deque([(resource, rtype, base)])
    while todo:
        node, definition, path = todo.popleft()
        for prop, target in slots.get(definition, {}).items():
            value = node.get(prop)
            if value is None:
                continue
            items = enumerate(value) if isinstance(value, list) else [(None, value)]
            for i, item in items:
                at = f"{path}.{prop}" if i is None else f"{path}.{prop}[{i}]"
                if target is None:
                    found.append((item, at))
                elif isinstance(item, dict):
                    todo.append((item, target, at))
    return found
