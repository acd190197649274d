"""Element metadata for FHIRPath Patch: which elements repeat, which are complex, which are choices.

FHIRPath Patch (http://hl7.org/fhir/R4/fhirpatch.html) names elements, not JSON keys: ``add``
with ``name=identifier`` must create ``"identifier": [...]`` (a list, because
``Patient.identifier`` is 0..*), ``name=deceased`` with a ``valueBoolean`` must create
``deceasedBoolean`` (a choice element, http://hl7.org/fhir/R4/formats.html#choice), and "the type
of the value must be correct for the place at which it will be added" needs to know whether an
element is primitive or complex.

The facts come from the pydantic field metadata of the fhir.resources R4B models (they parse R4
content of the types we serve). Unknown types yield ``None`` and callers fall back to the shape of
the JSON they already have, so a patch on an exotic resource still works where the data tells
enough.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

#: A fhir.resources model class (kept as ``type`` to avoid importing pydantic types here).
Model = type

_ABC_SUFFIX = "Type"
#: Placeholder for "a resource goes here" (``contained``, ``Bundle.entry.resource``, ...).
RESOURCE = "Resource"


@dataclass(frozen=True)
class ElementInfo:
    """One JSON property of a complex type.

    ``type_name`` is the fhir.resources class name of a complex element (``HumanName``,
    ``PatientContact``), :data:`RESOURCE` for an element that holds a resource, and ``None`` for a
    primitive (including ``div``).
    """

    key: str
    is_list: bool
    type_name: str | None
    choice: str | None

    @property
    def is_primitive(self) -> bool:
        return self.type_name is None


def model_for(type_name: str | None) -> Model | None:
    """The model class of a resource or data type, or ``None`` when fhir.resources lacks it."""
    if not type_name or type_name == RESOURCE:
        return None
    return _model_for(type_name)


@cache
def _model_for(type_name: str) -> Model | None:
    try:
        return typing.cast(Model, get_fhir_model_class(type_name))
    except (KeyError, ValueError, AttributeError, ImportError):
        return None


def element(model: Model | None, key: str) -> ElementInfo | None:
    """Metadata of the JSON property ``key`` of ``model`` (``None`` if unknown)."""
    if model is None:
        return None
    return _elements(model).get(key)


def choice_keys(model: Model | None, base: str) -> list[str]:
    """JSON keys of the choice element ``base[x]`` (``deceased`` -> ``deceasedBoolean``, ...)."""
    if model is None:
        return []
    return [info.key for info in _elements(model).values() if info.choice == base]


def child_model(model: Model | None, key: str, data: Any = None) -> Model | None:
    """The model of the value stored under ``key``; ``_x`` keys hold a primitive's ``Element``.

    ``data`` is the JSON value itself, needed when the element holds a resource (its type is the
    value's ``resourceType``).
    """
    if key.startswith("_"):
        return model_for("Element")
    info = element(model, key)
    if info is None:
        return None
    if info.type_name == RESOURCE:
        if isinstance(data, dict):
            return model_for(data.get("resourceType"))
        return None
    return model_for(info.type_name)


@cache
def _elements(model: Model) -> dict[str, ElementInfo]:
    fields: dict[str, Any] = getattr(model, "model_fields", {})
    out: dict[str, ElementInfo] = {}
    for name, field in fields.items():
        key = field.alias or name
        if key.startswith("_") or key == "resourceType":
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        is_list, type_name = _describe(field.annotation)
        choice = extra.get("one_of_many")
        out[key] = ElementInfo(key, is_list, type_name, choice if isinstance(choice, str) else None)
    return out


def _describe(annotation: Any) -> tuple[bool, str | None]:
    """``(is_list, complex type name or None)`` from a field annotation such as
    ``Optional[List[abc.HumanNameType]]`` or ``Optional[Annotated[date, Date()]]``."""
    is_list = False
    current = annotation
    while True:
        origin = typing.get_origin(current)
        args = [a for a in typing.get_args(current) if a is not type(None)]
        if origin in (list, typing.List):  # noqa: UP006 - typing.List is what the models use
            is_list = True
            current = args[0]
        elif origin is typing.Union or origin is types.UnionType:
            current = args[0] if args else current
        else:
            break
    if typing.get_origin(current) is typing.Annotated:
        return is_list, None
    name = getattr(current, "__name__", "")
    if getattr(current, "__module__", "") == "abc" and name.endswith(_ABC_SUFFIX):
        return is_list, name[: -len(_ABC_SUFFIX)]
    return is_list, None
