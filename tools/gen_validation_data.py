"""Generate the data files of ``fhir_server.validation`` from the official R4 JSON schema.

Run once (output is committed)::

    .venv/bin/python tools/gen_validation_data.py [path/to/fhir.schema.json]

Why a generator: ``fhir.schema.json`` (HL7 FHIR R4 4.0.1, CC0) is 3.4 MB and would cost
about a second to load and walk at every start. We derive, once, the few facts the
validator needs and store them compactly:

``fhir_server/definitions/validation-tables.json``
    * ``resourceTypes``: the R4 resource types (the schema's discriminator mapping).
    * ``schemaTypes``: types validated with jsonschema instead of the R4B models: the 18
      R4 types absent from R4B, plus ``Evidence`` and ``EvidenceVariable`` whose R4B
      models describe a different (R5-like) structure than R4.
    * ``bindings``: ``{definition: {property: [codes]}}``, the required bindings the
      schema carries as ``enum`` (the R4B models do not check them).
    * ``classDefs``: ``{R4B model class path: R4 definition name}``, found by walking the
      models and the schema in parallel, so the compiled validator can overlay the R4
      bindings and property set on each model class.
    * ``drop``: model properties absent from R4 (R4B additions such as
      ``Extension.valueCodeableReference``); ``add``: R4 open-type choices absent from
      R4B (``Extension.valueMeta``, ``Extension._valueString``...), each with the model
      class that validates it.
    * ``resourceSlots``: where resources nest inside other resources, besides
      ``contained``.

``fhir_server/definitions/validation-r4-only.schema.json``
    The definitions reachable from ``schemaTypes`` (descriptions stripped), with
    ``ResourceList`` reduced to ``{"type": "object"}``: nested resources are validated
    on their own by the caller, with their own model or schema.
"""

from __future__ import annotations

import json
import sys
import typing
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.types import FhirBase, FhirElementOrResourceBase

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = ROOT.parent / "shared" / "fhir-r4" / "definitions" / "fhir.schema.json"
OUT_DIR = ROOT / "fhir_server" / "definitions"
SOURCE = (
    "Derived from HL7 FHIR R4 4.0.1 fhir.schema.json (http://hl7.org/fhir/R4/fhir.schema.json, "
    "CC0 1.0, sha256 2230406893b4cf002a4ee1e5e2bbeca22ac5d2d4931b3e9ef7b9594bbc376a01) "
    "by tools/gen_validation_data.py"
)
# R4B re-modelled these two resources (R5 style); their R4 content fails the R4B models.
REMODELLED_IN_R4B = ("Evidence", "EvidenceVariable")
# Properties the R4 schema generator gets wrong: Element-based backbones (Timing.repeat...)
# cannot carry modifierExtension, ExampleScenario.instance.resourceType is real R4, and
# Extension.url is an XML attribute, so it has no ``_url`` in JSON.
SCHEMA_QUIRKS = {"modifierExtension", "resourceType", "_url"}


def class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def ref_of(prop: dict[str, typing.Any]) -> str | None:
    ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def child_class(annotation: typing.Any) -> type | None:
    """The model class behind a field annotation (``Optional[List[HumanNameType]]``)."""
    stack = [annotation]
    while stack:
        ann = stack.pop()
        if isinstance(ann, type) and issubclass(ann, FhirBase):
            if issubclass(ann, FhirElementOrResourceBase):
                return None
            return ann.get_model_klass()
        stack.extend(typing.get_args(ann))
    return None


def walk_models(defs: dict[str, typing.Any], model_types: list[str]) -> dict[str, typing.Any]:
    """Pair every reachable R4B model class with its R4 schema definition."""
    class_defs: dict[str, str] = {}
    drop: dict[str, list[str]] = {}
    add: dict[str, dict[str, str]] = {}
    def_classes: dict[str, str] = {}
    todo = [(get_fhir_model_class(t), t) for t in model_types]
    while todo:
        cls, dn = todo.pop()
        path = class_path(cls)
        if path in class_defs:
            if class_defs[path] != dn:
                raise SystemExit(f"{path} maps to {class_defs[path]} and {dn}")
            continue
        class_defs[path] = dn
        def_classes.setdefault(dn, path)
        props = defs[dn].get("properties", {})
        fields = {f.alias or n: f for n, f in cls.model_fields.items() if n != "fhir_comments"}
        for alias in sorted(set(fields) - set(props) - SCHEMA_QUIRKS):
            # R4 allows ``_x`` on canonical primitives; the R4 schema forgets them.
            if not (alias.startswith("_") and alias[1:] in props):
                drop.setdefault(dn, []).append(alias)
        choices = cls.model_construct().get_one_of_many_fields()
        for alias in sorted(set(props) - set(fields) - SCHEMA_QUIRKS):
            base = alias.lstrip("_")
            prefix = next((p for p in choices if base.startswith(p)), None)
            if prefix is None:
                raise SystemExit(f"{dn}.{alias} is in R4 but not in {path}")
            add.setdefault(dn, {})[alias] = "" if alias.startswith("_") else ref_of(props[alias]) or ""
        for alias in set(fields) & set(props):
            ref = ref_of(props[alias])
            sub = child_class(fields[alias].annotation)
            if ref and sub is not None and "properties" in defs.get(ref, {}):
                todo.append((sub, ref))
    # Resolve the R4 types of added choices to the R4B classes that validate them.
    prim_ext = class_path(get_fhir_model_class("FHIRPrimitiveExtension"))
    for extra in add.values():
        for alias, ref in extra.items():
            extra[alias] = prim_ext if not ref else def_classes[ref]
    return {"classDefs": dict(sorted(class_defs.items())), "drop": drop, "add": add}


def bindings(defs: dict[str, typing.Any], names: typing.Iterable[str]) -> dict[str, typing.Any]:
    out: dict[str, dict[str, list[str]]] = {}
    for dn in sorted(set(names)):
        for prop, spec in defs[dn].get("properties", {}).items():
            enum = spec.get("enum") or spec.get("items", {}).get("enum")
            if enum:
                out.setdefault(dn, {})[prop] = list(enum)
    return out


def resource_slots(defs: dict[str, typing.Any]) -> dict[str, dict[str, str | None]]:
    """Definitions on a path to a nested resource (``contained`` aside), as a graph."""
    edges: dict[str, dict[str, str]] = {}
    for dn, spec in defs.items():
        for prop, p in spec.get("properties", {}).items():
            ref = ref_of(p)
            if ref and prop != "contained":
                edges.setdefault(dn, {})[prop] = ref
    reach = {"ResourceList"}
    changed = True
    while changed:
        changed = False
        for dn, props in edges.items():
            if dn not in reach and any(r in reach for r in props.values()):
                reach.add(dn)
                changed = True
    return {
        dn: {p: (None if r == "ResourceList" else r) for p, r in edges[dn].items() if r in reach}
        for dn in sorted(reach - {"ResourceList"})
    }


def strip(node: typing.Any) -> typing.Any:
    if isinstance(node, dict):
        if node.get("$ref") == "#/definitions/ResourceList":
            return {"type": "object"}
        out = {k: strip(v) for k, v in node.items() if k != "description"}
        if out.get("type") == "array":
            out["minItems"] = 1  # R4 JSON: arrays are never empty (the schema omits this)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def trimmed_schema(schema: dict[str, typing.Any], roots: list[str]) -> dict[str, typing.Any]:
    defs = schema["definitions"]
    keep: set[str] = set()
    todo = list(roots)
    while todo:
        dn = todo.pop()
        if dn in keep or dn == "ResourceList":
            continue
        keep.add(dn)
        text = json.dumps(defs[dn])
        for part in text.split('"#/definitions/')[1:]:
            todo.append(part.split('"', 1)[0])
    out = {dn: strip(defs[dn]) for dn in sorted(keep)}
    # The schema types FHIR integers as any JSON number (5.5 passes); R4 JSON wants integers.
    for dn, minimum in (("integer", None), ("unsignedInt", 0), ("positiveInt", 1)):
        if dn in out:
            out[dn]["type"] = "integer"
            if minimum is not None:
                out[dn]["minimum"] = minimum
    return {
        "$schema": schema["$schema"],
        "id": schema["id"],
        "description": SOURCE + "; arrays non-empty, integer types tightened to JSON integers; "
        "definitions reachable from: " + ", ".join(roots),
        "definitions": out,
    }


def main() -> None:
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SCHEMA
    schema = json.loads(src.read_text(encoding="utf-8"))
    defs = schema["definitions"]
    types = sorted(schema["discriminator"]["mapping"])
    schema_types = []
    for t in types:
        try:
            get_fhir_model_class(t)
        except ValueError:
            schema_types.append(t)
    schema_types = sorted(schema_types + list(REMODELLED_IN_R4B))
    model_types = [t for t in types if t not in schema_types]
    walked = walk_models(defs, model_types)
    tables = {
        "source": SOURCE,
        "resourceTypes": types,
        "schemaTypes": schema_types,
        "bindings": bindings(defs, walked["classDefs"].values()),
        "resourceSlots": resource_slots(defs),
        **walked,
    }
    (OUT_DIR / "validation-tables.json").write_text(
        json.dumps(tables, indent=1, sort_keys=False) + "\n", encoding="utf-8"
    )
    trimmed = trimmed_schema(schema, schema_types)
    (OUT_DIR / "validation-r4-only.schema.json").write_text(
        json.dumps(trimmed, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(
        f"{len(types)} types, {len(schema_types)} via jsonschema, {len(walked['classDefs'])} classes, "
        f"{sum(map(len, tables['bindings'].values()))} bound codes, "
        f"{len(trimmed['definitions'])} schema definitions"
    )


if __name__ == "__main__":
    main()
