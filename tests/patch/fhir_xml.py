"""FHIR XML -> FHIR JSON, just enough for the official patch test cases.

The FHIRPath Patch cases (``fhir-test-cases/patch-r4/fhir-patch-tests.xml``) are written in FHIR
XML (http://hl7.org/fhir/R4/xml.html); the server speaks JSON (http://hl7.org/fhir/R4/json.html).
XML does not say which elements repeat or which primitives are booleans or numbers, so the
conversion reads the official R4 4.0.1 ``fhir.schema.json`` (generated from the
StructureDefinitions, in ``../shared/fhir-r4/definitions``). Using the schema, and not the
fhir.resources models the patch code itself consults, keeps this fixture an independent oracle.

Rules applied (json.html): a repeating element becomes an array; a primitive's ``value``
attribute becomes a JSON string, boolean or number; its ``id`` and ``extension`` go to ``_name``
(arrays of ``_name`` are kept aligned with ``null``); ``xhtml`` (``Narrative.div``) becomes the XML
text of the div element; a resource inside an element (``contained``, ``Bundle.entry.resource``,
``Parameters.parameter.resource``) becomes a JSON object with ``resourceType``.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from typing import Any

from bench.shared_data import shared_dir

XHTML_NS = "http://www.w3.org/1999/xhtml"


@lru_cache(maxsize=1)
def _definitions() -> dict[str, Any]:
    path = shared_dir() / "fhir-r4" / "definitions" / "fhir.schema.json"
    with path.open(encoding="utf-8") as f:
        return json.load(f)["definitions"]


def local_name(tag: str) -> str:
    """``{http://hl7.org/fhir}Patient`` -> ``Patient``."""
    return tag.rsplit("}", 1)[-1]


def resource_to_json(element: ET.Element) -> dict[str, Any]:
    """A FHIR resource element (``<Patient xmlns="http://hl7.org/fhir">``) as FHIR JSON."""
    resource_type = local_name(element.tag)
    out: dict[str, Any] = {"resourceType": resource_type}
    _fill(out, element, resource_type)
    return out


def _fill(out: dict[str, Any], element: ET.Element, definition: str) -> None:
    properties = _definitions()[definition]["properties"]
    for attribute, value in element.attrib.items():  # "id" of elements, "url" of extensions
        out[attribute] = value
    for child in element:
        name = local_name(child.tag)
        schema = properties.get(name)
        if schema is None:
            raise ValueError(f"{definition} has no element '{name}'")
        repeats = schema.get("type") == "array"
        value, primitive_element = _convert(child, schema["items"] if repeats else schema)
        if not repeats:
            if value is not None:
                out[name] = value
            if primitive_element:
                out["_" + name] = primitive_element
            continue
        values = out.setdefault(name, [])
        values.append(value)
        if primitive_element:
            twin = out.setdefault("_" + name, [])
            twin.extend([None] * (len(values) - 1 - len(twin)))
            twin.append(primitive_element)
    for name in [k for k in out if k.startswith("_") and isinstance(out[k], list)]:
        out[name].extend([None] * (len(out[name[1:]]) - len(out[name])))


def _convert(element: ET.Element, schema: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    """``(json value, _name object or None)`` of one XML element described by ``schema``."""
    ref = schema.get("$ref", "")
    type_name = ref.rsplit("/", 1)[-1] if ref else None
    if type_name == "ResourceList":
        (inner,) = list(element)
        return resource_to_json(inner), None
    if type_name == "xhtml":
        return _xhtml(element), None
    definition = _definitions()[type_name] if type_name else schema
    if "properties" in definition:
        obj: dict[str, Any] = {}
        _fill(obj, element, str(type_name))
        return obj, None
    raw = element.get("value")
    value = _primitive(raw, definition.get("type"), type_name) if raw is not None else None
    extra: dict[str, Any] = {}
    if element.get("id") is not None:
        extra["id"] = element.get("id")
    extensions = [
        _convert(e, {"$ref": "#/definitions/Extension"})[0]
        for e in element
        if local_name(e.tag) == "extension"
    ]
    if extensions:
        extra["extension"] = extensions
    return value, extra or None


def _primitive(raw: str, json_type: str | None, type_name: str | None) -> Any:
    if json_type == "boolean":
        return raw == "true"
    if json_type == "number":
        return int(raw) if re.fullmatch(r"-?\d+", raw) and type_name != "decimal" else float(raw)
    return raw


def _xhtml(element: ET.Element) -> str:
    """The div as XML text, with XHTML as the default namespace (no ``html:`` prefixes)."""
    div = copy.copy(element)
    div.tail = None
    return ET.tostring(div, encoding="unicode", default_namespace=XHTML_NS)
