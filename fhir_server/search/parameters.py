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
        return self.type in SUPPORTED_TYPES and bool(self.expression)


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
    return tuple(official)


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
            Component(c["definition"], c["expression"]) for c in resource.get("component", ())
        ),
    )


@cache
def _definitions() -> tuple[dict[str, Any], ...]:
    with DEFINITIONS.open(encoding="utf-8") as handle:
        bundle = json.load(handle)
    return tuple(entry["resource"] for entry in bundle["entry"])


@cache
def _by_base() -> dict[str, tuple[dict[str, Any], ...]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for definition in _definitions():
        for base in definition["base"]:
            grouped.setdefault(base, []).append(definition)
    return {base: tuple(defs) for base, defs in grouped.items()}


@cache
def search_params(resource_type: str) -> Mapping[str, SearchParam]:
    """Every search parameter of ``resource_type`` by code, the Resource-level ones included.

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
