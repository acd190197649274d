"""The SearchParameter registry: which parameters each resource type has, from the official definitions.

http://hl7.org/fhir/R4/searchparameter-registry.html lists every parameter; we load them once
(lazily, then cached) from ``definitions/search-parameters.json`` (the R4 bundle, CC0).

One official SearchParameter often serves many resource types with one FHIRPath expression that
is a union of per-type branches (``AllergyIntolerance.patient | CarePlan.subject.where(...) | ...``).
We keep, for each resource type, only the branches rooted at that type, so that extraction never
evaluates the 30 branches meant for other types. Parameters based on ``Resource`` and
``DomainResource`` (``_id``, ``_lastUpdated``, ``_tag``, ``_profile``, ``_security``, ``_source``,
``_text``...) apply to every type; their root is rewritten to the concrete type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DEFINITIONS = Path(__file__).resolve().parent.parent / "definitions" / "search-parameters.json"

#: Types whose values we extract and search today (http://hl7.org/fhir/R4/search.html#ptypes).
SUPPORTED_TYPES = frozenset({"string", "token", "reference", "date", "number", "quantity", "uri"})

#: Types a composite's leading components may have: their values become part of the entry's key
#: (:mod:`.composite`); the last component may have any supported type.
KEY_TYPES = frozenset({"string", "token", "reference", "uri"})

#: Bases that are not resource types: their parameters apply to every resource type.
ABSTRACT_BASES = ("Resource", "DomainResource")

#: Resources that are not DomainResources (they have no ``text``): ``_text`` does not apply.
NOT_DOMAIN_RESOURCES = frozenset({"Bundle", "Binary", "Parameters"})

_ROOT = re.compile(r"\(*\s*([A-Za-z]+)")
_RESOLVE_IS = re.compile(r"\.where\(resolve\(\) is ([A-Za-z]+)\)$")


@dataclass(frozen=True)
class Component:
    """One part of a composite parameter (http://hl7.org/fhir/R4/search.html#composite)."""

    definition: str
    expression: str
    type: str = ""


@dataclass(frozen=True)
class SearchParam:
    """One search parameter as it applies to one resource type.

    ``expression`` holds only the union branches for that type, so it can be compiled once per
    type. It is empty for parameters without an expression (``_text``, ``_content``, ``_query``):
    those are registered (so that a search on them is "not supported", not "unknown") but never
    extracted.
    """

    code: str
    type: str
    expression: str
    url: str = ""
    targets: tuple[str, ...] = ()
    components: tuple[Component, ...] = field(default=())

    @property
    def extractable(self) -> bool:
        if self.type == "composite":
            return bool(self.expression) and composite_supported(self.components)
        return self.type in SUPPORTED_TYPES and bool(self.expression)


def composite_supported(components: tuple[Component, ...]) -> bool:
    """Whether :mod:`.composite` can index this composite: known component types, leading ones
    usable as keys, and expressions relative to the element (no ``%resource``)."""
    if len(components) < 2 or any("%" in c.expression for c in components):
        return False
    *keys, last = [c.type for c in components]
    return all(k in KEY_TYPES for k in keys) and last in SUPPORTED_TYPES


def split_union(expression: str) -> list[str]:
    """Split a FHIRPath expression on its top-level ``|`` (not inside parentheses or strings)."""
    branches: list[str] = []
    depth, quoted, start = 0, False, 0
    for pos, char in enumerate(expression):
        if char == "'" and (pos == 0 or expression[pos - 1] != "\\"):
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(expression[start:pos].strip())
            start = pos + 1
    branches.append(expression[start:].strip())
    return [b for b in branches if b]


def branch_root(branch: str) -> str | None:
    """The type name a branch starts from: ``(Observation.value as Quantity)`` -> ``Observation``."""
    match = _ROOT.match(branch)
    return match.group(1) if match else None


def _for_type(expression: str, base: str, resource_type: str) -> str:
    """Keep the branches of ``expression`` that apply to ``resource_type`` (see module docstring)."""
    kept: list[str] = []
    for branch in split_union(expression):
        root = branch_root(branch)
        if root == resource_type:
            kept.append(branch)
        elif root == base and base in ABSTRACT_BASES:
            kept.append(branch.replace(base, resource_type, 1))
    return " | ".join(kept)


def _targets(official: list[str], expression: str) -> tuple[str, ...]:
    """The official targets, narrowed when every branch ends in ``.where(resolve() is T)``.

    ``clinical-patient`` targets Patient and Group, but on Observation its expression only keeps
    references to a Patient: a bare ``patient=123`` then means ``Patient/123`` alone.
    """
    narrowed = [_RESOLVE_IS.search(branch) for branch in split_union(expression)]
    if narrowed and all(narrowed):
        return tuple(dict.fromkeys(m.group(1) for m in narrowed if m))
    allowed = _element_targets(expression)
    kept = tuple(t for t in official if allowed is None or t in allowed)
    return kept or tuple(official)


_TOP_LEVEL = re.compile(r"^([A-Z][A-Za-z]+)\.([a-z][A-Za-z]*)$")


def _element_targets(expression: str) -> set[str] | None:
    """The types the elements of ``Type.element`` branches may refer to (``Immunization.patient``:
    Patient only, though the shared ``patient`` parameter also targets Group), from the element
    definitions of the fhir.resources models; None when unknown."""
    allowed: set[str] = set()
    for branch in split_union(expression):
        match = _TOP_LEVEL.match(branch)
        if not match:
            return None
        try:
            from fhir.resources.R4B import get_fhir_model_class

            field = get_fhir_model_class(match.group(1)).model_fields.get(match.group(2))
        except (ImportError, KeyError, ValueError):
            return None
        extra = field.json_schema_extra if field is not None else None
        types = extra.get("enum_reference_types") if isinstance(extra, dict) else None
        if not types or "Resource" in types:
            return None
        allowed.update(types)
    return allowed


def _param(resource: dict[str, Any], base: str, resource_type: str) -> SearchParam:
    expression = resource.get("expression", "")
    own = _for_type(expression, base, resource_type) if expression else ""
    return SearchParam(
        code=resource["code"],
        type=resource["type"],
        expression=own,
        url=resource.get("url", ""),
        targets=_targets(resource.get("target", []), own),
        components=tuple(
            Component(c["definition"], c["expression"], _type_of(c["definition"]))
            for c in resource.get("component", ())
        ),
    )


@cache
def _definitions() -> tuple[dict[str, Any], ...]:
    with DEFINITIONS.open(encoding="utf-8") as handle:
        bundle = json.load(handle)
    return tuple(entry["resource"] for entry in bundle["entry"])


@cache
def _by_url() -> dict[str, dict[str, Any]]:
    return {d["url"]: d for d in _definitions() if "url" in d}


def _type_of(url: str) -> str:
    definition = _by_url().get(url)
    return definition["type"] if definition else ""


def definition_by_url(url: str) -> dict[str, Any] | None:
    """The official SearchParameter with this canonical URL (composite components name theirs)."""
    return _by_url().get(url)


@cache
def _by_base() -> dict[str, tuple[dict[str, Any], ...]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for definition in _definitions():
        for base in definition["base"]:
            grouped.setdefault(base, []).append(definition)
    return {base: tuple(defs) for base, defs in grouped.items()}


#: Parameters defined by SearchParameter resources written through the API, by type and code
#: (maintained by :mod:`.custom`; never overriding an official code).
_CUSTOM: dict[str, dict[str, SearchParam]] = {}
_GENERATION = [0]


def set_custom(params: dict[str, dict[str, SearchParam]]) -> None:
    """Replace the API-defined parameters; cached extraction plans are rebuilt."""
    global _CUSTOM
    _CUSTOM = params
    _GENERATION[0] += 1


def custom_generation() -> int:
    return _GENERATION[0]


def search_params(resource_type: str) -> Mapping[str, SearchParam]:
    """Every search parameter of ``resource_type`` by code: the official ones (the Resource-level
    ones included) and those of SearchParameter resources created through the API."""
    official = official_params(resource_type)
    custom = _CUSTOM.get(resource_type)
    return {**official, **custom} if custom else official


def make_param(definition: dict[str, Any], base: str, resource_type: str) -> SearchParam:
    """A SearchParameter resource as it applies to ``resource_type`` (one of its bases)."""
    return _param(definition, base, resource_type)


@cache
def official_params(resource_type: str) -> Mapping[str, SearchParam]:
    """Every official search parameter of ``resource_type`` by code, the Resource-level ones included.

    The type-specific definition wins if a code is defined both ways.
    """
    by_base = _by_base()
    bases = ["Resource"]
    if resource_type not in NOT_DOMAIN_RESOURCES:
        bases.append("DomainResource")
    bases.append(resource_type)
    params: dict[str, SearchParam] = {}
    for base in bases:
        for definition in by_base.get(base, ()):
            params[definition["code"]] = _param(definition, base, resource_type)
    return params


def search_param(resource_type: str, code: str) -> SearchParam | None:
    """The parameter ``code`` of ``resource_type``, or None if the type has no such parameter."""
    return search_params(resource_type).get(code)


@cache
def searchable_types() -> frozenset[str]:
    """Resource types that have type-specific search parameters in the registry."""
    return frozenset(base for base in _by_base() if base not in ABSTRACT_BASES)
