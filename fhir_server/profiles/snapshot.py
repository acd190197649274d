"""Snapshot generation: a profile's differential applied to its base definition.

http://hl7.org/fhir/R4/profiling.html#snapshot: the snapshot is the base resource's
snapshot with every element of the differential merged in. This generator covers what the
EMC profiles use, and says so when a differential asks for more:

* constraints on existing elements (cardinality, types, fixed/pattern values, bindings,
  invariants, must-support, texts) are merged into the base element;
* an element below a datatype (``Patient.identifier.system``) unrolls the datatype's own
  snapshot under that element first (``profiles-types.json``);
* a slice (``Patient.identifier:mhi``) is a copy of the sliced element, with the copied
  children of a backbone element (``Composition.section:diagnosis.entry``), inserted after
  the sliced element's last descendant or earlier slice
  (http://hl7.org/fhir/R4/profiling.html#slicing).

The output is deterministic, so ``tools/gen_profiles.py`` can be re-run and diffed. Element
``mapping`` entries of the base are dropped: they document the base, not the profile.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Element = dict[str, Any]
#: Gives the StructureDefinition of a datatype (``"Identifier"`` -> its definition) or None.
TypeLookup = Callable[[str], dict[str, Any] | None]

#: Differential keys merged into the snapshot element as given (replacing the base value).
REPLACED = ("short", "definition", "comment", "requirements", "min", "max", "type", "binding",
            "mustSupport", "slicing", "sliceName", "label", "maxLength")


class SnapshotError(ValueError):
    """The differential asks for something the base does not have or this generator cannot do."""


def generate(profile: dict[str, Any], base: dict[str, Any], types: TypeLookup) -> list[Element]:
    """The snapshot elements of ``profile`` (whose ``differential`` is read) over ``base``."""
    elements = [_strip(e) for e in base["snapshot"]["element"]]
    for diff in profile["differential"]["element"]:
        index = _find_or_make(elements, diff["id"], types)
        elements[index] = _merge(elements[index], diff, profile["url"])
    return elements


def _strip(element: Element) -> Element:
    out = copy.deepcopy(element)
    out.pop("mapping", None)
    return out


def _position(elements: list[Element], element_id: str) -> int | None:
    for i, element in enumerate(elements):
        if element["id"] == element_id:
            return i
    return None


def _find_or_make(elements: list[Element], element_id: str, types: TypeLookup) -> int:
    found = _position(elements, element_id)
    if found is not None:
        return found
    parent_id, _, last = element_id.rpartition(".")
    if not parent_id:
        raise SnapshotError(f"{element_id}: not an element of the base")
    if ":" in last:
        return _make_slice(elements, parent_id, last, types)
    parent = _find_or_make(elements, parent_id, types)
    _unroll_type(elements, parent, types)
    found = _position(elements, element_id)
    if found is None:
        raise SnapshotError(f"{element_id}: no element '{last}' in the type of {parent_id}")
    return found


def _descendants_end(elements: list[Element], index: int) -> int:
    """The index after the last element below ``elements[index]`` (its children, its slices)."""
    own = elements[index]["id"]
    end = index + 1
    while end < len(elements):
        other = elements[end]["id"]
        if not (other.startswith(own + ".") or other.startswith(own + ":")):
            break
        end += 1
    return end


def _make_slice(elements: list[Element], parent_id: str, last: str, types: TypeLookup) -> int:
    name, _, slice_name = last.partition(":")
    sliced_id = f"{parent_id}.{name}"
    sliced = _find_or_make(elements, sliced_id, types)
    if "slicing" not in elements[sliced]:
        raise SnapshotError(f"{sliced_id}:{slice_name}: the element is not sliced (declare slicing first)")
    end = _descendants_end(elements, sliced)
    slice_id = f"{sliced_id}:{slice_name}"
    copies = []
    for element in elements[sliced:end]:
        if ":" in element["id"][len(sliced_id):]:
            continue  # earlier slices are not part of the new one
        item = copy.deepcopy(element)
        item["id"] = slice_id + element["id"][len(sliced_id):]
        item.pop("slicing", None)
        copies.append(item)
    copies[0]["sliceName"] = slice_name
    copies[0]["min"] = 0
    elements[end:end] = copies
    return end


def _unroll_type(elements: list[Element], index: int, types: TypeLookup) -> None:
    """Insert the children of the element's (single) datatype below it, if not there yet."""
    element = elements[index]
    if index + 1 < len(elements) and elements[index + 1]["id"].startswith(element["id"] + "."):
        return  # unrolled already (or a backbone element with its own children)
    codes = {t["code"] for t in element.get("type", [])}
    if len(codes) != 1:
        raise SnapshotError(f"{element['id']}: constrain the type to one before constraining its children")
    code = codes.pop()
    definition = types(code)
    if definition is None:
        raise SnapshotError(f"{element['id']}: no definition of the datatype {code}")
    children = []
    for child in definition["snapshot"]["element"][1:]:
        item = _strip(child)
        suffix = child["id"][len(code):]
        item["id"] = element["id"] + suffix
        item["path"] = element["path"] + child["path"][len(code):]
        children.append(item)
    elements[index + 1:index + 1] = children


def _merge(element: Element, diff: Element, source: str) -> Element:
    out = dict(element)
    for key, value in diff.items():
        if key in ("id", "path"):
            continue
        if key == "constraint":
            added = [{**c, "source": source} for c in value]
            out["constraint"] = [*element.get("constraint", []), *added]
        elif key in REPLACED or key.startswith(("fixed", "pattern")):
            out[key] = copy.deepcopy(value)
        else:
            raise SnapshotError(f"{diff['id']}: differential key '{key}' is not supported by the generator")
    _check_narrowing(element, out, diff["id"])
    return out


def _check_narrowing(base: Element, merged: Element, element_id: str) -> None:
    """A profile may only narrow its base (profiling.html#cardinality)."""
    if merged["min"] < base.get("min", 0) and "sliceName" not in merged:
        raise SnapshotError(f"{element_id}: min {merged['min']} is below the base's {base['min']}")
    base_max, new_max = base.get("max", "*"), merged.get("max", "*")
    if base_max != "*" and (new_max == "*" or int(new_max) > int(base_max)):
        raise SnapshotError(f"{element_id}: max {new_max} is above the base's {base_max}")
