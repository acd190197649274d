"""The five FHIRPath Patch operations, applied in place to a working copy of the resource.

Rules quoted from http://hl7.org/fhir/R4/fhirpatch.html (table "Conceptual FHIRPath Operations" and
the base rules under it):

* "The FHIRPath statement must return a single element" - several matches are an error.
* "Except for the delete operation, it is an error if no element matches the specified path";
  ``delete`` takes the "path of the element to delete (if found)", so no match is a no-op.
* ``add``: "The content will be appended to the element identified in the path, using the name
  specified. Add can used for non-repeating elements as long as they do not already exist".
* ``insert``: "the index is mandatory and must be equal or less than the number of elements in the
  list"; ``move``: "Move an element within a single list".

A primitive element is its value plus its ``_x`` twin
(http://hl7.org/fhir/R4/json.html#primitive): deleting or moving one moves both, and list twins
stay aligned. Deleting the last child of an element deletes the element too, since FHIR JSON has no
empty objects or arrays (json.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fhir_server.errors import UnprocessableEntity
from fhir_server.patch import model_info
from fhir_server.patch.locate import JsonPath, get_at, locate, split_last_member, split_location
from fhir_server.patch.model_info import Model
from fhir_server.patch.values import (
    check_type,
    drop_empty_twin,
    insert_item,
    json_key,
    pad,
    put,
    read_value,
)


@dataclass(frozen=True)
class Operation:
    """One ``operation`` parameter; ``value`` is the raw ``value`` part, read at the target."""

    type: str
    path: str
    name: str | None = None
    value: dict[str, Any] | None = None
    index: int | None = None
    source: int | None = None
    destination: int | None = None


def apply_operation(resource: dict[str, Any], op: Operation) -> None:
    """Apply ``op`` to ``resource`` (mutated)."""
    {"add": _add, "insert": _insert, "delete": _delete, "replace": _replace, "move": _move}[
        op.type
    ](resource, op)


def _add(resource: dict[str, Any], op: Operation) -> None:
    assert op.name is not None and op.value is not None
    where = _single(resource, op)
    container, model = _container(resource, where)
    value = read_value(op.value, model_info.child_model(model, op.name))
    key = json_key(model, op.name, value)
    info = model_info.element(model, key)
    check_type(info, value, key)
    as_list = info.is_list if info is not None else isinstance(container.get(key), list)
    taken = (
        [key] if info is None or info.choice is None else model_info.choice_keys(model, info.choice)
    )
    if not as_list and any(k in container for k in taken):
        raise UnprocessableEntity(
            f"FHIRPath Patch add: '{op.name}' already exists at {op.path} and does not repeat"
        )
    put(container, key, value, as_list=as_list)


def _insert(resource: dict[str, Any], op: Operation) -> None:
    assert op.value is not None and op.index is not None
    owner_path, key = _list(resource, op, may_be_empty=True)
    owner = get_at(resource, owner_path)
    model = model_at(resource, owner_path)
    info = model_info.element(model, key)
    if info is not None and not info.is_list:
        raise UnprocessableEntity(f"FHIRPath Patch insert: {op.path} is not a list")
    length = len(owner.get(key) or [])
    if not 0 <= op.index <= length:
        raise UnprocessableEntity(
            f"FHIRPath Patch insert: index {op.index} is outside 0..{length} for {op.path}"
        )
    value = read_value(op.value, model_info.child_model(model, key))
    check_type(info, value, key)
    insert_item(owner, key, op.index, value)


def _delete(resource: dict[str, Any], op: Operation) -> None:
    found = locate(resource, op.path)
    if not found:
        return  # "Path of the element to delete (if found)"
    if len(found) > 1:
        raise UnprocessableEntity(
            f"FHIRPath Patch delete: {op.path} matches {len(found)} elements; "
            "only a single element can be deleted"
        )
    remove(resource, found[0])


def _replace(resource: dict[str, Any], op: Operation) -> None:
    assert op.value is not None
    parent_path, key, index = split_location(_single(resource, op))
    parent = get_at(resource, parent_path)
    model = model_at(resource, parent_path)
    info = model_info.element(model, key)
    current = parent[key][index] if index is not None else parent.get(key)
    value = read_value(op.value, model_info.child_model(model, key, current))
    new_key = key
    if info is not None and info.choice is not None and value.type_suffix is not None:
        new_key = json_key(model, info.choice, value)  # valueString -> valueQuantity is allowed
    check_type(model_info.element(model, new_key), value, new_key)
    if index is not None:
        parent[key][index] = value.data
        if value.element is not None or isinstance(parent.get("_" + key), list):
            pad(parent, key, len(parent[key]))[index] = value.element
            drop_empty_twin(parent, key)
        return
    parent.pop("_" + key, None)
    if new_key != key:
        parent.pop(key, None)  # absent when the old value had only extensions
    put(parent, new_key, value, as_list=False)


def _move(resource: dict[str, Any], op: Operation) -> None:
    assert op.source is not None and op.destination is not None
    owner_path, key = _list(resource, op, may_be_empty=False)
    owner = get_at(resource, owner_path)
    items: list[Any] = owner[key]
    for label, position in (("source", op.source), ("destination", op.destination)):
        if not 0 <= position < len(items):
            raise UnprocessableEntity(
                f"FHIRPath Patch move: {label} {position} is outside "
                f"0..{len(items) - 1} for {op.path}"
            )
    items.insert(op.destination, items.pop(op.source))
    if isinstance(owner.get("_" + key), list):
        twin = pad(owner, key, len(items))
        twin.insert(op.destination, twin.pop(op.source))


def _single(resource: dict[str, Any], op: Operation) -> JsonPath:
    found = locate(resource, op.path)
    if not found:
        raise UnprocessableEntity(f"No content found at {op.path} when trying to {op.type}")
    if len(found) > 1:
        raise UnprocessableEntity(
            f"FHIRPath Patch {op.type}: {op.path} matches {len(found)} elements, "
            "but the path must select a single element"
        )
    return found[0]


def _list(resource: dict[str, Any], op: Operation, *, may_be_empty: bool) -> tuple[JsonPath, str]:
    """The owner and key of the one list that ``op.path`` names (``insert``/``move``)."""
    found = locate(resource, op.path)
    if found:
        parts = [split_location(w) for w in found]
        owners = {(p, k) for p, k, _ in parts}
        if len(owners) != 1 or any(i is None for _, _, i in parts):
            raise UnprocessableEntity(f"FHIRPath Patch {op.type}: {op.path} is not a single list")
        return owners.pop()
    split = split_last_member(op.path) if may_be_empty else None
    if split is not None:
        owners_found = locate(resource, split[0])
        if len(owners_found) == 1 and isinstance(get_at(resource, owners_found[0]), dict):
            return owners_found[0], split[1]
    raise UnprocessableEntity(f"No content found at {op.path} when trying to {op.type}")


def _container(resource: dict[str, Any], where: JsonPath) -> tuple[dict[str, Any], Model | None]:
    """The object ``add`` puts the new element into; a primitive's is its ``_x`` twin."""
    target = get_at(resource, where)
    if isinstance(target, dict):
        return target, model_at(resource, where)
    parent_path, key, index = split_location(where)
    parent = get_at(resource, parent_path)
    if index is None:
        element = parent.setdefault("_" + key, {})
    else:
        twin = pad(parent, key, len(parent[key]))
        element = twin[index] = twin[index] if isinstance(twin[index], dict) else {}
    return element, model_info.model_for("Element")


def model_at(resource: dict[str, Any], where: JsonPath) -> Model | None:
    """The model of the element at ``where``, following the JSON from the resource type."""
    model = model_info.model_for(resource.get("resourceType"))
    current: Any = resource
    for n, step in enumerate(where):
        current = get_at(current, (step,))
        if isinstance(step, str):
            item = current
            if n + 1 < len(where) and isinstance(where[n + 1], int):
                item = get_at(current, (where[n + 1],))
            model = model_info.child_model(model, step, item)
    return model


def remove(resource: dict[str, Any], where: JsonPath) -> None:
    """Delete the element at ``where`` (with its ``_x`` twin), then any ancestor left empty."""
    parent_path, key, index = split_location(where)
    parent = get_at(resource, parent_path)
    if index is None:
        parent.pop(key, None)
        parent.pop("_" + key, None)
    elif key.startswith("_"):  # an emptied entry of a "_x" list: keep the lists aligned
        parent[key][index] = None
        drop_empty_twin(parent, key[1:])
    else:
        parent[key].pop(index)
        twin = parent.get("_" + key)
        if isinstance(twin, list) and index < len(twin):
            twin.pop(index)
        drop_empty_twin(parent, key)
        if not parent[key]:
            del parent[key]
    if parent_path and get_at(resource, parent_path) in ({}, []):
        remove(resource, parent_path)
