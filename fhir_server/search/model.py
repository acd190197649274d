"""The R4 element model the expression compiler needs: element types and choice elements.

From fhirpathpy's R4 model (``path2Type``, ``choiceTypePaths``, ``type2Parent``,
``pathsDefinedElsewhere``), generated from the official StructureDefinitions. A choice element
``value[x]`` is stored in JSON under ``valueQuantity``, ``valueString``...
(http://hl7.org/fhir/R4/formats.html#choice), so reading ``Observation.value`` means reading those keys.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def model() -> dict[str, Any]:
    from fhirpathpy.models import models

    return models["r4"]


@cache
def inner_paths() -> frozenset[str]:
    """Every element path that has children (backbone elements are not in ``path2Type``)."""
    paths: set[str] = set()
    for path in model()["path2Type"]:
        parts = path.split(".")
        paths.update(".".join(parts[:n]) for n in range(1, len(parts)))
    return frozenset(paths)


def child_path(context: str, name: str) -> str | None:
    """The model path of ``context.name``, walking up the type hierarchy (``Age`` -> ``Quantity``)."""
    elements = model()
    choices, types = elements["choiceTypePaths"], elements["path2Type"]
    elsewhere = elements["pathsDefinedElsewhere"]
    current: str | None = context
    while current:
        path: str = elsewhere.get(f"{current}.{name}", f"{current}.{name}")
        if path in choices or path in types or path in inner_paths():
            return path
        parent: str | None = "BackboneElement" if "." in current else elements["type2Parent"].get(current)
        current = parent if parent != current else None
    return None


def is_subtype(type_name: str, wanted: str) -> bool:
    """Whether ``type_name`` is ``wanted`` or derives from it (``Age`` is a ``Quantity``)."""
    parents = model()["type2Parent"]
    current: str | None = type_name
    while current:
        if current.lower() == wanted.lower():
            return True
        current = parents.get(current) or parents.get(current[:1].lower() + current[1:])
    return False
