"""A StructureDefinition snapshot compiled into a tree the validator walks.

Element ids (http://hl7.org/fhir/R4/elementdefinition.html#id) give the shape:
``Patient.identifier:mhi.system`` is the child ``system`` of the slice ``mhi`` of the element
``identifier`` of ``Patient``. Each :class:`Node` keeps what the validator checks: cardinality,
types (with reference target types), fixed and pattern values, the value set of a required
binding, slicing with its slices, and the invariants to evaluate (compiled FHIRPath).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import fhirpathpy
from fhirpathpy.models import models

from .registry import EMC_BASE, Registry

R4_MODEL = models["r4"]


@dataclass(frozen=True)
class Constraint:
    key: str
    human: str
    expression: str
    run: Callable[..., list[Any]]


@dataclass
class Node:
    id: str
    name: str
    min: int
    max: int | None  # None: unbounded
    is_list: bool  # an array in JSON (the base element repeats), even when a profile narrows it to 1
    types: list[dict[str, Any]]
    fixed: tuple[str, Any] | None = None
    pattern: tuple[str, Any] | None = None
    binding: str | None = None  # the value set of a required binding
    constraints: list[Constraint] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    slicing: dict[str, Any] | None = None
    slices: list[Node] = field(default_factory=list)
    slice_name: str | None = None

    @property
    def choice(self) -> bool:
        return self.name.endswith("[x]")

    @property
    def prefix(self) -> str:
        return self.name[:-3] if self.choice else self.name

    def child(self, name: str) -> Node | None:
        for node in self.children:
            if node.name == name or (node.choice and name.startswith(node.prefix) and name != node.prefix
                                     and name[len(node.prefix)].isupper()):
                return node
        return None

    def target_types(self) -> set[str] | None:
        """Resource types a Reference here may point to (None: any)."""
        targets: set[str] = set()
        for type_ in self.types:
            if type_.get("code") != "Reference":
                continue
            profiles = type_.get("targetProfile") or []
            if not profiles:
                return None
            targets.update(profiles)
        return targets or None


def _max(value: str | None) -> int | None:
    return None if value in (None, "*") else int(value)


def _keyed(element: dict[str, Any], prefix: str) -> tuple[str, Any] | None:
    for key, value in element.items():
        if key.startswith(prefix) and key != prefix:
            return key, value
    return None


def _constraints(element: dict[str, Any], all_invariants: bool) -> list[Constraint]:
    out = []
    for c in element.get("constraint", []):
        own = str(c.get("source", "")).startswith(EMC_BASE)
        if c.get("severity") != "error" or not c.get("expression") or not (own or all_invariants):
            continue
        run = fhirpathpy.compile(c["expression"], R4_MODEL)
        out.append(Constraint(c["key"], c.get("human", ""), c["expression"], run))
    return out


def _node(element: dict[str, Any], name: str, all_invariants: bool) -> Node:
    binding = element.get("binding") or {}
    base_max = (element.get("base") or {}).get("max", element.get("max"))
    return Node(
        id=element["id"],
        name=name,
        min=int(element.get("min", 0)),
        max=_max(element.get("max")),
        is_list=base_max != "1",
        types=list(element.get("type", [])),
        fixed=_keyed(element, "fixed"),
        pattern=_keyed(element, "pattern"),
        binding=binding.get("valueSet") if binding.get("strength") == "required" else None,
        constraints=_constraints(element, all_invariants),
        slicing=element.get("slicing"),
        slice_name=element.get("sliceName"),
    )


def compile_snapshot(definition: dict[str, Any], all_invariants: bool = False) -> Node:
    """The root node of a StructureDefinition's snapshot.

    Only the profile's own invariants are compiled unless ``all_invariants``: the base
    specification's (``ele-1``, ``dom-2``...) are outside what this validator promises.
    """
    elements = definition["snapshot"]["element"]
    root = _node(elements[0], elements[0]["id"], all_invariants)
    nodes = {root.id: root}
    for element in elements[1:]:
        eid = element["id"]
        parent_id, _, last = eid.rpartition(".")
        name, _, slice_name = last.partition(":")
        node = _node(element, name, all_invariants)
        nodes[eid] = node
        if slice_name:
            sliced = nodes.get(f"{parent_id}.{name}")
            if sliced is not None:
                sliced.slices.append(node)
            continue
        parent = nodes.get(parent_id)
        if parent is not None:
            parent.children.append(node)
    return root


def compiled(registry: Registry, url: str) -> Node | None:
    """The compiled profile at ``url`` (cached in the registry)."""
    key = ("profile", url)
    if key not in registry.cache:
        definition = registry.structure_definition(url)
        registry.cache[key] = compile_snapshot(definition) if definition else None
    node: Node | None = registry.cache[key]
    return node
