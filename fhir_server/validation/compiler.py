"""Compile the fhir.resources R4B models into one pydantic-core validator per resource type.

Why not ``Model.model_validate``: fhir.resources routes every nested element through
Python (a wrap validator re-enters ``model_validate``, a custom ``__init__`` validates a
second time, a before-validator scans every field for nulls, an after-validator checks
required primitives and choices). That is about 28 µs per element, 0.5 ms per resource.

So we keep the models' own pydantic-core schemas (types, patterns, cardinality, unknown
elements) and rewrite only the Python glue:

* a nested element's wrap validator becomes a ``definition-ref`` to the element's schema,
  so the whole resource validates in one Rust call; list items become non-nullable,
  which is exactly what ``reject_null_complex_elements`` enforced;
* each ``model`` becomes a ``typed-dict`` keyed by JSON name: no model instances, and no
  output dict filled with a default for every declared field;
* nested resources (``contained``, ``Bundle.entry.resource``...) become plain objects:
  the package validates each with its own type's validator;
* the after-validator becomes a precomputed per-class check (:mod:`.checks`), attached
  only to classes that have required primitives or choice elements;
* the R4 overlay from ``validation-tables.json``: required bindings become ``literal``
  schemas, R4B-only elements are removed and R4 open-type choices are added;
* JSON types are enforced: booleans and integers are strict, decimals must be numbers,
  dates and times are strings matched by one Rust regex each (:mod:`.datetimes`), ids
  have at most 64 characters, properties match by JSON name only (the models also
  accept Python names such as ``status__ext``), and ``fhir_comments`` is not an element.
"""

from __future__ import annotations

import gc
import importlib
import threading
from collections.abc import Callable
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.constraints import TYPES_ID_PATTERN as ID_PATTERN
from fhir_core.types import FhirElementOrResourceBase
from pydantic_core import SchemaValidator

from .checks import element_check, primitive_extension
from .datetimes import BY_VALIDATOR
from .tables import resource_types, tables

Schema = dict[str, Any]

_NESTED = "FhirBase.__get_pydantic_core_schema__.<locals>._validate"
_DECIMAL = "Decimal.__get_pydantic_core_schema__.<locals>._validate"
_URL = "Url.__get_pydantic_core_schema__.<locals>._validate"  # assumes a str, or crashes
_AFTER = "FHIRAbstractModel.validate_after_model_construction"
_NULLS = "FHIRAbstractModel.reject_null_complex_elements"
_PRIMITIVE_EXT = "FHIRPrimitiveExtension.validate_extension_or_fhir_comment_required"
# uri and markdown patterns match any string (searched, not anchored): skip the regex call.
_NO_OP_PATTERNS = {r"\S*", r"\s*(\S|\s)*"}
_DROP_KEYS = ("ref", "metadata", "serialization")
CONFIG = {"validate_by_name": False, "validate_by_alias": True}


def class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _import(path: str) -> type:
    module, _, name = path.rpartition(".")
    cls: type = getattr(importlib.import_module(module), name)
    return cls


def _closure(func: Callable[..., Any]) -> dict[str, Any]:
    cells = func.__closure__ or ()
    return dict(zip(func.__code__.co_freevars, (c.cell_contents for c in cells), strict=True))


def _no_null(schema: Schema) -> tuple[Schema, bool]:
    """A field's value schema, and whether the field is required.

    JSON null is no FHIR value: optional means absent, never ``null``. Arrays must not be
    empty either. Items of primitive arrays stay nullable: there a null lines a value up
    with its ``_x`` extension sibling.
    """
    if schema.get("type") != "default":
        return schema, True
    inner = schema["schema"]
    if inner.get("type") == "nullable":
        inner = inner["schema"]
    if inner.get("type") == "list":
        inner = {**inner, "min_length": 1}
    return inner, False


def _bind(schema: Schema, codes: list[str]) -> Schema:
    """Replace the innermost ``str`` of a code field by a literal of its bound codes."""
    if schema.get("type") == "str":
        return {"type": "literal", "expected": codes}
    out = dict(schema)
    for key in ("schema", "items_schema"):
        if key in out:
            out[key] = _bind(out[key], codes)
    return out


class Compiler:
    """Transforms model-class schemas once; assembles per-type validators from them."""

    def __init__(self) -> None:
        t = tables()
        self.class_defs: dict[str, str] = t["classDefs"]
        self.bindings: dict[str, dict[str, list[str]]] = t["bindings"]
        self.drop: dict[str, list[str]] = t["drop"]
        self.add: dict[str, dict[str, str]] = t["add"]
        self.done: dict[str, Schema] = {}
        self.deps: dict[str, set[str]] = {}

    def validator(self, resource_type: str) -> SchemaValidator:
        root_cls = get_fhir_model_class(resource_type)
        root = self.ref(root_cls)["schema_ref"]
        seen, todo = set(), [root]
        while todo:
            ref = todo.pop()
            if ref not in seen:
                seen.add(ref)
                todo.extend(self.deps[ref])
        definitions = [self.done[r] for r in sorted(seen)]
        schema = {"type": "definitions", "schema": {"type": "definition-ref", "schema_ref": root},
                  "definitions": definitions}
        return SchemaValidator(schema, CONFIG)  # type: ignore[arg-type]  # a schema rewritten as plain dicts

    def ref(self, cls: type) -> Schema:
        path = class_path(cls)
        if path not in self.done:
            self.done[path] = {}
            self.deps[path] = set()
            schema = self.transform(cls.__pydantic_core_schema__, path)  # type: ignore[attr-defined]  # set by pydantic on model classes
            schema["ref"] = path
            self.done[path] = schema
        return {"type": "definition-ref", "schema_ref": path}

    def _dep(self, owner: str, cls: type) -> Schema:
        ref = self.ref(cls)
        self.deps[owner].add(ref["schema_ref"])
        return ref

    def transform(self, schema: Schema, owner: str) -> Schema:
        kind = schema.get("type")
        func = schema.get("function", {}).get("function") if kind and kind.startswith("function") else None
        name = getattr(func, "__qualname__", "")
        if kind == "function-wrap" and name == _NESTED:
            source = _closure(func)["source_type"]  # type: ignore[arg-type]  # the closure cell of a pydantic validator
            if issubclass(source, FhirElementOrResourceBase):
                return {"type": "dict"}  # a nested resource: see .nested
            return self._dep(owner, source.get_model_klass())
        if kind == "function-wrap" and name in BY_VALIDATOR:
            return {"type": "str", "strict": True, "pattern": BY_VALIDATOR[name]}
        if kind == "function-wrap" and name == _DECIMAL:
            return {"type": "float", "strict": True, "allow_inf_nan": False}
        if kind == "function-before" and name == _NULLS:
            return self.transform(schema["schema"], owner)
        if kind == "function-after" and name == _AFTER:
            return self._model(schema["schema"], owner)
        if kind == "definition-ref" or kind == "definitions":
            raise ValueError(f"unexpected {kind} in {owner}")
        out = {k: v for k, v in schema.items() if k not in _DROP_KEYS}
        if kind in ("int", "bool"):
            out["strict"] = True
        if kind == "str" and out.get("pattern") in _NO_OP_PATTERNS:
            del out["pattern"]
        if kind == "str" and out.get("pattern") == ID_PATTERN:
            out["max_length"] = 64  # R4 ids: 1-64 characters (fhir_core allows 255)
        for key in ("schema", "items_schema", "keys_schema", "values_schema"):
            if key in out:
                out[key] = self.transform(out[key], owner)
        for key in ("choices", "steps"):
            if key in out:
                out[key] = [self.transform(s, owner) for s in out[key]]
        if kind == "function-wrap" and name == _URL:
            return {"type": "chain", "steps": [{"type": "str", "strict": True}, out]}
        return out

    def _model(self, model: Schema, owner: str) -> Schema:
        """A ``model`` schema becomes a ``typed-dict`` (no instance), plus the checks."""
        if model.get("type") != "model":
            raise ValueError(f"unexpected model schema in {owner}")
        cls = model["cls"]
        inner = model["schema"]
        before = None
        while inner.get("type") == "function-before":
            name = getattr(inner["function"]["function"], "__qualname__", "")
            if name == _PRIMITIVE_EXT:
                before = primitive_extension
            elif name != _NULLS:
                raise ValueError(f"unexpected before-validator {name} in {owner}")
            inner = inner["schema"]
        out = self._fields(inner, owner)
        required, choices = self._checks(cls, owner, out["fields"])
        if required or choices:
            check = element_check(cls.__name__, required, choices)
            out = {"type": "function-wrap", "function": {"type": "no-info", "function": check}, "schema": out}
        if before is not None:
            out = {"type": "function-before", "function": {"type": "no-info", "function": before}, "schema": out}
        return out

    def _checks(self, cls: Any, owner: str, fields: Schema) -> tuple[Any, Any]:
        """Required primitives and choice groups of a class, by JSON name, R4 overlay applied."""
        instance = cls.model_construct()
        names = cls.get_alias_mapping()
        alias = {key: f.alias or key for key, f in cls.model_fields.items()}
        required = tuple(
            (alias[names[n]], alias[e] if e else "") for n, e in instance.get_required_fields()
        )
        added = [a for a in self.add.get(self.class_defs.get(owner, ""), {}) if not a.startswith("_")]
        choices = []
        for prefix, keys in instance.get_one_of_many_fields().items():
            needed = bool(cls.model_fields[keys[0]].json_schema_extra["one_of_many_required"])
            members = [alias[k] for k in keys if alias[k] in fields] + [a for a in added if a.startswith(prefix)]
            choices.append((prefix, tuple(members), needed))
        return required, tuple(choices)

    def _fields(self, schema: Schema, owner: str) -> Schema:
        """``model-fields`` -> ``typed-dict`` by JSON name: absent elements cost nothing.

        (``model-fields`` fills every declared field with its default, about a hundred
        per Observation, for an output we throw away.)
        """
        if schema.get("type") != "model-fields":
            raise ValueError(f"unexpected fields schema in {owner}")
        definition = self.class_defs.get(owner, "")
        bound = self.bindings.get(definition, {})
        dropped = set(self.drop.get(definition, ()))
        fields: Schema = {}
        if definition in resource_types():
            fields["resourceType"] = {"type": "typed-dict-field", "required": True,
                                      "schema": {"type": "literal", "expected": [definition]}}
        for key, field in schema["fields"].items():
            alias = field.get("validation_alias", key)
            if key == "fhir_comments" or alias in dropped:
                continue
            inner, required = _no_null(self.transform(field["schema"], owner))
            if alias in bound:
                inner = _bind(inner, bound[alias])
            fields[alias] = {"type": "typed-dict-field", "schema": inner, "required": required}
        for alias, target in self.add.get(definition, {}).items():
            fields[alias] = {"type": "typed-dict-field", "schema": self._dep(owner, _import(target)),
                             "required": False}
        return {"type": "typed-dict", "fields": fields, "extra_behavior": "forbid"}


_LOCK = threading.Lock()
_COMPILER: list[Compiler] = []
_VALIDATORS: dict[str, SchemaValidator] = {}


def validator_for(resource_type: str) -> SchemaValidator:
    """The compiled validator of one R4B-backed resource type (built on first use).

    Building takes 5-60 ms per type; the lock keeps threads from reading a class schema
    another thread is still transforming.
    """
    found = _VALIDATORS.get(resource_type)
    if found is None:
        with _LOCK:
            found = _VALIDATORS.get(resource_type)
            if found is None:
                if not _COMPILER:
                    _COMPILER.append(Compiler())
                found = _VALIDATORS[resource_type] = _COMPILER[0].validator(resource_type)
                _exempt_from_collection()
    return found


def _exempt_from_collection() -> None:
    """Move every object alive now to the cyclic collector's permanent generation.

    Building a validator imports the fhir.resources model classes of the type: tens of thousands
    of objects (fields, schemas, closures) that live as long as the process. Left in the
    collector's oldest generation, every full collection walks them all again: a fifth of the
    CPU of a transaction ingest went there. Objects of requests in flight are frozen too; they are
    still freed by reference counting as usual, only a reference cycle among them would be kept
    (this runs once per resource type per process).
    """
    gc.freeze()
