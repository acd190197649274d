"""Validate a resource against a profile's snapshot (http://hl7.org/fhir/R4/validation.html#profile).

Run after the structure validation (:mod:`fhir_server.validation`), which has already
checked JSON types, unknown elements, base cardinality and the base spec's required bindings.
This walk adds what a profile says (http://hl7.org/fhir/R4/profiling.html):

* cardinality (``min``/``max``) of every element and slice;
* ``fixed[x]`` (exact) and ``pattern[x]`` (the instance contains the pattern) values;
* required bindings to value sets that can be enumerated locally (:mod:`.terminology`);
* types allowed for a choice element, and the target types of references;
* slicing by ``value``/``pattern`` discriminators on a path (``system``, ``code``, ``url``,
  ``$this``), with ``closed`` rules reported;
* the profile's own invariants (FHIRPath, fhirpathpy).

Every problem is an :class:`~fhir_server.errors.Issue` whose ``expression`` is the FHIRPath
location of the element, ``Patient.identifier[0].value`` or ``Observation.value.ofType(string)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhir_server.errors import Issue

from .model import Node, compiled
from .registry import FHIR_BASE_SD, Registry
from .terminology import expand

#: JSON names of the FHIR datatypes, to recognise a choice element written with another type.
DATATYPES = frozenset({
    "Base64Binary", "Boolean", "Canonical", "Code", "Date", "DateTime", "Decimal", "Id", "Instant",
    "Integer", "Markdown", "Oid", "PositiveInt", "String", "Time", "UnsignedInt", "Uri", "Url", "Uuid",
    "Address", "Age", "Annotation", "Attachment", "CodeableConcept", "Coding", "ContactDetail",
    "ContactPoint", "Contributor", "Count", "DataRequirement", "Distance", "Dosage", "Duration",
    "Expression", "HumanName", "Identifier", "Meta", "Money", "ParameterDefinition", "Period",
    "Quantity", "Range", "Ratio", "Reference", "RelatedArtifact", "SampledData", "Signature", "Timing",
    "TriggerDefinition", "UsageContext",
})


@dataclass
class Item:
    """One value of an element in the instance, with where it is and its datatype."""

    value: Any
    where: str
    type_code: str


@dataclass
class Walk:
    registry: Registry
    root: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)

    def report(self, code: str, message: str, where: str) -> None:
        self.issues.append(Issue(code, message, expression=[where]))


def validate(resource: dict[str, Any], url: str, registry: Registry) -> list[Issue]:
    """Every way ``resource`` breaks the profile at ``url`` (empty when it conforms)."""
    rtype = resource.get("resourceType", "")
    definition = registry.structure_definition(url)
    tree = compiled(registry, url)
    if definition is None or tree is None:
        return [Issue("not-supported", f"Unknown profile {url}", expression=[rtype])]
    if definition.get("type") != rtype:
        return [Issue("invalid", f"The profile {url} is for {definition.get('type')}, not {rtype}",
                      expression=[rtype])]
    walk = Walk(registry, resource)
    check_item(walk, tree, Item(resource, rtype, rtype))
    return walk.issues


# -- elements ----------------------------------------------------------------------------


def check_item(walk: Walk, node: Node, item: Item) -> None:
    """The checks of one value against its element definition, then its children."""
    value = item.value
    if node.fixed is not None and value is not None and value != node.fixed[1]:
        walk.report("value", f"Value must be exactly {_short(node.fixed[1])} ({node.fixed[0]})", item.where)
    if node.pattern is not None and value is not None and not contains(value, node.pattern[1]):
        walk.report("value", f"Value must match the pattern {_short(node.pattern[1])} ({node.pattern[0]})",
                    item.where)
    if node.binding and value is not None:
        _check_binding(walk, node.binding, item)
    if item.type_code == "Reference" and isinstance(value, dict):
        _check_reference(walk, node, item)
    if isinstance(value, dict):
        for child in node.children:
            check_child(walk, child, value, item.where)
    for constraint in node.constraints:
        if value is None:
            continue
        try:
            result = constraint.run(value, {"resource": walk.root, "rootResource": walk.root})
        except Exception as exc:  # noqa: BLE001 - a broken invariant must not become a 500
            walk.report("invariant", f"{constraint.key}: could not be evaluated ({exc})", item.where)
            continue
        if result != [True]:
            walk.report("invariant", f"{constraint.key}: {constraint.human}", item.where)


def check_child(walk: Walk, node: Node, parent: dict[str, Any], where: str) -> None:
    """Cardinality, slicing and each value of the element ``node`` inside ``parent``."""
    items = values(walk, node, parent, where)
    here = f"{where}.{node.prefix}"
    _cardinality(walk, node, len(items), here, "")
    if node.slicing is None or not node.slices:
        for item in items:
            check_item(walk, node, item)
        return
    matched: dict[str, list[Item]] = {s.slice_name or "": [] for s in node.slices}
    for item in items:
        found = next((s for s in node.slices if _in_slice(walk, s, node.slicing, item.value)), None)
        if found is None:
            if node.slicing.get("rules") == "closed":
                walk.report("structure", "The value matches none of the slices and the slicing is closed",
                            item.where)
            check_item(walk, node, item)
        else:
            matched[found.slice_name or ""].append(item)
            check_item(walk, found, item)
    for slice_node in node.slices:
        _cardinality(walk, slice_node, len(matched[slice_node.slice_name or ""]), here,
                     f" in slice '{slice_node.slice_name}'")


def _cardinality(walk: Walk, node: Node, count: int, where: str, what: str) -> None:
    if count < node.min:
        if count == 0:
            walk.report("required", f"Missing required element '{node.prefix}'{what} (min {node.min})", where)
        else:
            walk.report("required", f"Element '{node.prefix}'{what}: at least {node.min} required, found {count}",
                        where)
    if node.max is not None and count > node.max:
        if node.max == 0:
            walk.report("structure", f"Element '{node.prefix}'{what} is not allowed here", where)
        else:
            walk.report("structure", f"Element '{node.prefix}'{what}: at most {node.max} allowed, found {count}",
                        where)


def values(walk: Walk, node: Node, parent: dict[str, Any], where: str) -> list[Item]:
    """The values of ``node`` in ``parent``: primitives count with only their ``_x`` extensions."""
    if not node.choice:
        code = node.types[0]["code"] if len(node.types) == 1 else ""
        return _values_of(parent, node.name, f"{where}.{node.name}", node.is_list, code)
    allowed = {_json_type(t["code"]): t["code"] for t in node.types}
    out: list[Item] = []
    for key in parent:
        name = key.lstrip("_")
        suffix = name[len(node.prefix):]
        if not name.startswith(node.prefix) or suffix not in DATATYPES and suffix not in allowed:
            continue
        if key.startswith("_") and name in parent:
            continue  # counted with its value
        if suffix not in allowed:
            names = ", ".join(sorted(allowed.values()))
            walk.report("structure", f"Type {suffix} is not allowed for {node.name} here (allowed: {names})",
                        f"{where}.{node.prefix}")
            continue
        code = allowed[suffix]
        out.extend(_values_of(parent, name, f"{where}.{node.prefix}.ofType({code})", False, code))
    return out


def _json_type(code: str) -> str:
    return code[:1].upper() + code[1:]


def _values_of(parent: dict[str, Any], name: str, where: str, is_list: bool, code: str) -> list[Item]:
    value, extra = parent.get(name), parent.get("_" + name)
    if isinstance(value, list) or isinstance(extra, list):
        first = value if isinstance(value, list) else []
        second = extra if isinstance(extra, list) else []
        count = max(len(first), len(second))
        return [Item(first[i] if i < len(first) else None, f"{where}[{i}]", code) for i in range(count)]
    if value is None and extra is None:
        return []
    return [Item(value, where, code)]


# -- values ------------------------------------------------------------------------------


def contains(value: Any, pattern: Any) -> bool:
    """FHIR pattern matching: every part of the pattern is in the value (arrays: each pattern item
    matched by some value item)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and contains(value[k], v) for k, v in pattern.items())
    if isinstance(pattern, list):
        return isinstance(value, list) and all(any(contains(v, p) for v in value) for p in pattern)
    return bool(value == pattern)


def _short(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 160 else text[:157] + "..."


def _check_binding(walk: Walk, url: str, item: Item) -> None:
    expansion = expand(walk.registry, url)
    if expansion is None:
        return
    value, code = item.value, item.type_code
    if code == "CodeableConcept" and isinstance(value, dict):
        ok = any(expansion.has(c.get("system"), c.get("code")) for c in value.get("coding", []))
    elif code in ("Coding", "Quantity") and isinstance(value, dict):
        ok = expansion.has(value.get("system"), value.get("code"))
    elif isinstance(value, str):
        ok = expansion.has_code(value)
    else:
        return
    if not ok:
        walk.report("code-invalid", f"The value is not in the required value set {url} "
                    f"({expansion.describe()})", item.where)


def _check_reference(walk: Walk, node: Node, item: Item) -> None:
    profiles = node.target_types()
    if profiles is None:
        return
    allowed = {_profile_type(walk.registry, p) for p in profiles}
    if "Resource" in allowed or None in allowed:
        return
    target = reference_type(item.value, walk.root)
    if target is not None and target not in allowed:
        names = ", ".join(sorted(t for t in allowed if t))
        walk.report("invalid", f"A reference to {target} is not allowed here (allowed: {names})",
                    item.where + ".reference")


def _profile_type(registry: Registry, url: str) -> str | None:
    if url.startswith(FHIR_BASE_SD):
        return url[len(FHIR_BASE_SD):].split("|")[0]
    definition = registry.structure_definition(url)
    return definition.get("type") if definition else None


def reference_type(reference: dict[str, Any], root: dict[str, Any]) -> str | None:
    """The resource type a Reference points to, when it can be told without resolving it."""
    literal = reference.get("reference")
    if not isinstance(literal, str):
        declared = reference.get("type")
        return declared if isinstance(declared, str) else None
    if literal.startswith("#"):
        for contained in root.get("contained", []):
            if isinstance(contained, dict) and contained.get("id") == literal[1:]:
                return contained.get("resourceType")
        return None
    if literal.startswith(("urn:uuid:", "urn:oid:")):
        return reference.get("type") if isinstance(reference.get("type"), str) else None
    parts = literal.split("/_history/")[0].rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else None


# -- slicing -----------------------------------------------------------------------------


def _in_slice(walk: Walk, slice_node: Node, slicing: dict[str, Any], value: Any) -> bool:
    discriminators = slicing.get("discriminator", [])
    return bool(discriminators) and all(_discriminates(walk, slice_node, d, value) for d in discriminators)


def _discriminates(walk: Walk, slice_node: Node, discriminator: dict[str, Any], value: Any) -> bool:
    path = discriminator.get("path", "$this")
    kind = discriminator.get("type")
    target: Node | None = slice_node
    found: list[Any] = [value]
    if path != "$this":
        for step in path.split("."):
            target = target.child(step) if target else None
            found = [x for v in found if isinstance(v, dict) for x in _as_list(v.get(step))]
    if target is None:
        return False
    if kind == "exists":
        return bool(found) == (target.min > 0)
    if kind not in ("value", "pattern"):
        return False
    if target.fixed is not None:
        return any(v == target.fixed[1] for v in found)
    if target.pattern is not None:
        return any(contains(v, target.pattern[1]) for v in found)
    if target.binding is not None:
        expansion = expand(walk.registry, target.binding)
        return expansion is not None and any(
            expansion.has(v.get("system"), v.get("code")) if isinstance(v, dict) else
            isinstance(v, str) and expansion.has_code(v) for v in found)
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
