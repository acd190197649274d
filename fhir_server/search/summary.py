"""``_summary`` (http://hl7.org/fhir/R4/search.html#summary).

- ``true``: the elements the base definition marks as summary (``isSummary``), plus the
  mandatory ones;
- ``text``: ``text``, ``id``, ``meta`` and the mandatory top-level elements;
- ``data``: everything but ``text``;
- ``count``: no entries, only ``Bundle.total`` (the caller's);
- ``false``: the whole resource.

A subsetted resource carries the ``SUBSETTED`` tag in ``meta.tag``
(http://hl7.org/fhir/R4/search.html#summary: "the server SHOULD ... mark the resources with the
tag SUBSETTED"). The summary flags come from the element definitions in the ``fhir.resources``
R4B models (the same R4 flags); for the R4 types R4B lacks, ``true`` keeps every element.
Elements are filtered at the top level: a kept element is kept whole.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..errors import BadRequest

SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED",
             "display": "subsetted"}
MODES = ("true", "text", "data", "count", "false")
ALWAYS = frozenset({"resourceType", "id", "meta"})


@cache
def _elements(resource_type: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(summary elements, mandatory elements) by JSON name; None for types without a model."""
    try:
        from fhir.resources.R4B import get_fhir_model_class

        model = get_fhir_model_class(resource_type)
    except (ImportError, ValueError, KeyError, AttributeError):
        return None
    summary, mandatory = set(), set()
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if not extra.get("element_property"):
            continue
        key = info.alias or name
        if extra.get("summary_element_property"):
            summary.add(key)
        if extra.get("element_required") or extra.get("one_of_many_required") or info.is_required():
            mandatory.add(key)
    return frozenset(summary), frozenset(mandatory)


def mandatory(resource_type: str) -> frozenset[str]:
    found = _elements(resource_type)
    return found[1] if found else frozenset()


def parse_summary(raw: list[str]) -> str | None:
    """The ``_summary`` mode asked for, None when absent; a 400 for an unknown mode."""
    if not raw or raw[-1] == "":
        return None
    if raw[-1] not in MODES:
        raise BadRequest(f"_summary must be one of {', '.join(MODES)}, got {raw[-1]!r}")
    return raw[-1]


def tagged(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource with ``SUBSETTED`` added to ``meta.tag`` (once)."""
    meta = dict(resource.get("meta") or {})
    tags = [t for t in meta.get("tag", []) if not (isinstance(t, dict) and t.get("code") == "SUBSETTED")]
    meta["tag"] = [*tags, SUBSETTED]
    return {**resource, "meta": meta}


def keep(resource: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """Only the named top-level elements (with their ``_name`` primitive extensions)."""
    return {k: v for k, v in resource.items() if k in names or (k[:1] == "_" and k[1:] in names)}


def apply_summary(resource: dict[str, Any], mode: str | None) -> dict[str, Any]:
    """The resource as ``_summary=mode`` shows it."""
    if mode in (None, "false", "count"):
        return resource
    rtype = resource.get("resourceType", "")
    if mode == "data":
        return tagged({k: v for k, v in resource.items() if k not in ("text", "_text")})
    found = _elements(rtype)
    if mode == "text":
        names = ALWAYS | {"text"} | (found[1] if found else frozenset())
        return tagged(keep(resource, names))
    if found is None:
        return resource
    return tagged(keep(resource, ALWAYS | found[0] | found[1]))
