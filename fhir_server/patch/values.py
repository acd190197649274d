"""The ``value`` of a FHIRPath Patch operation, read from its Parameters part into resource JSON.

http://hl7.org/fhir/R4/fhirpatch.html#format: a value is a ``value[x]`` of the part (any type of
http://hl7.org/fhir/R4/datatypes.html#open), and "in order to add or insert other kinds of types -
including anonymous elements (e.g. Observation.component, Timing.repeat) ... instead of providing a
value, a set of parts that are values are provided. This pattern repeats as deep as necessary."
Building JSON from those parts needs the target's metadata: a part named ``telecom`` given once is
still a list in JSON, and a part named ``value`` carrying ``valueQuantity`` becomes
``valueQuantity``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from fhir_server.errors import BadRequest, UnprocessableEntity
from fhir_server.patch import model_info
from fhir_server.patch.model_info import Model


@dataclass(frozen=True)
class PatchValue:
    """A value to put in the resource.

    ``element`` is the ``_x`` object (id and extensions) travelling with a primitive value
    (http://hl7.org/fhir/R4/json.html#primitive); ``type_suffix`` is the capitalised type of a
    ``value[x]`` (``"Date"``, ``"CodeableConcept"``), ``None`` for parts or a resource.
    """

    data: Any
    element: dict[str, Any] | None = None
    type_suffix: str | None = None


def read_value(part: dict[str, Any], model: Model | None) -> PatchValue:
    """The value carried by ``part``; ``model`` is the type the value will have (for parts)."""
    keys = [k for k in part if k.startswith("value") and len(k) > 5 and k[5].isupper()]
    kinds = len(keys) + ("resource" in part) + ("part" in part)
    if kinds != 1:
        raise BadRequest(
            f"FHIRPath Patch part '{part.get('name')}' must carry exactly one of value[x], "
            "resource or part"
        )
    if keys:
        key = keys[0]
        element = part.get("_" + key)
        if element is not None and not isinstance(element, dict):
            raise BadRequest(f"FHIRPath Patch part '_{key}' must be an object")
        return PatchValue(copy.deepcopy(part[key]), copy.deepcopy(element), key[5:])
    if "resource" in part:
        resource = part["resource"]
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise BadRequest("FHIRPath Patch part 'resource' must be a resource")
        return PatchValue(copy.deepcopy(resource))
    parts = part["part"]
    if not isinstance(parts, list) or not parts:
        raise BadRequest(f"FHIRPath Patch part '{part.get('name')}' has an empty 'part' list")
    return PatchValue(_object_from_parts(parts, model))


def _object_from_parts(parts: list[Any], model: Model | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for sub in parts:
        if not isinstance(sub, dict) or not isinstance(sub.get("name"), str) or not sub["name"]:
            raise BadRequest("every FHIRPath Patch value part needs a 'name'")
        name = sub["name"]
        value = read_value(sub, model_info.child_model(model, name))
        key = json_key(model, name, value)
        info = model_info.element(model, key)
        check_type(info, value, key)
        repeat = info.is_list if info is not None else key in out
        put(out, key, value, as_list=repeat)
    return out


def json_key(model: Model | None, name: str, value: PatchValue) -> str:
    """The JSON key for element ``name`` holding ``value``: a choice element gets its type suffix.

    ``deceased``, ``deceased[x]`` and ``deceasedBoolean`` all give ``deceasedBoolean`` for a
    ``valueBoolean`` (http://hl7.org/fhir/R4/formats.html#choice).
    """
    base = name[:-3] if name.endswith("[x]") else name
    if model is None or model_info.element(model, base) is not None:
        return base
    choices = model_info.choice_keys(model, base)
    if not choices:
        raise UnprocessableEntity(f"FHIRPath Patch: '{name}' is not an element here")
    if value.type_suffix is None or base + value.type_suffix not in choices:
        raise UnprocessableEntity(
            f"FHIRPath Patch: the value type does not fit '{base}[x]' "
            f"(allowed: {', '.join(choices)})"
        )
    return base + value.type_suffix


def check_type(info: model_info.ElementInfo | None, value: PatchValue, key: str) -> None:
    """ "The type of the value must be correct for the place at which it will be added/inserted.
    Servers SHALL return an error if the type is wrong" (fhirpatch.html): we check the kind
    (primitive, complex, resource), not the exact data type (a ``div`` takes a ``valueString``)."""
    if info is None:
        return
    if info.type_name == model_info.RESOURCE:
        ok = isinstance(value.data, dict) and "resourceType" in value.data
    elif info.is_primitive:
        ok = not isinstance(value.data, (dict, list))
    else:
        ok = isinstance(value.data, dict) and "resourceType" not in value.data
    if not ok or (value.element is not None and not info.is_primitive):
        raise UnprocessableEntity(f"FHIRPath Patch: the value has the wrong type for '{key}'")


def put(obj: dict[str, Any], key: str, value: PatchValue, *, as_list: bool) -> None:
    """Store ``value`` under ``key``: set it, or append it to the list (``_key`` kept aligned)."""
    if not as_list:
        obj[key] = value.data
        if value.element is not None:
            obj["_" + key] = value.element
        return
    items = obj.setdefault(key, [])
    if not isinstance(items, list):
        raise UnprocessableEntity(f"FHIRPath Patch: '{key}' does not repeat")
    insert_item(obj, key, len(items), value)


def insert_item(obj: dict[str, Any], key: str, index: int, value: PatchValue) -> None:
    """Insert into the list ``obj[key]`` at ``index``, and into its ``_key`` twin if any."""
    items: list[Any] = obj.setdefault(key, [])
    twin = obj.get("_" + key)
    if value.element is not None or isinstance(twin, list):
        twin = pad(obj, key, len(items))
        twin.insert(index, value.element)
        drop_empty_twin(obj, key)
    items.insert(index, value.data)


def pad(obj: dict[str, Any], key: str, length: int) -> list[Any]:
    """The ``_key`` list of ``obj``, created or padded with ``null`` to ``length`` entries."""
    twin = obj.get("_" + key)
    if not isinstance(twin, list):
        twin = []
        obj["_" + key] = twin
    twin.extend([None] * (length - len(twin)))
    return twin


def drop_empty_twin(obj: dict[str, Any], key: str) -> None:
    """Remove a ``_key`` list (or object) that no longer says anything."""
    twin = obj.get("_" + key)
    if twin is None:
        return
    if (isinstance(twin, list) and all(t is None for t in twin)) or twin == {}:
        del obj["_" + key]
