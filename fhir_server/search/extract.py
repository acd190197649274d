"""Write-time extraction of search index entries, sort keys and Patient compartment membership.

Search values are computed when a resource is written, from the official SearchParameter
expressions (http://hl7.org/fhir/R4/search.html#table), into the ``i``, ``r``, ``s`` and ``cmp``
fields of the stored document (docs/storage.md), so that every search is an index-backed MongoDB
query. Value entries (token, string, uri, reference) go to ``i``, range entries (date, number,
quantity) to ``r``: each array has one index, and no entry is indexed twice.

For each resource type a plan is built once: the list of (code, compiled expression, normaliser)
for its parameters of a supported type (:mod:`.types`). Expressions are compiled by
:mod:`.fhirpath` into plain closures where possible. ``_id`` and ``_lastUpdated`` are not
extracted: the document carries them as ``id`` and ``lu``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fhir_server.spec.compartment import patient_compartment_params

from . import composite, reference
from .custom import register_now
from .fhirpath import Extractor, compile_expression
from .parameters import SearchParam, custom_generation, search_params
from .types import Normaliser, SortKey, value_type

#: Parameters stored as top-level fields of the document rather than as index entries.
DOCUMENT_FIELDS = frozenset({"_id", "_lastUpdated"})

#: Types whose entries are ranges ``{p, lo, hi}``, stored in ``r``; the others go to ``i``.
RANGE_TYPES = frozenset({"date", "number", "quantity"})


def entry_array(param_type: str) -> str:
    """The document field holding the entries of a parameter type: ``r`` for ranges, else ``i``."""
    return "r" if param_type in RANGE_TYPES else "i"


@dataclass
class Extracted:
    """What a write stores besides the resource: ``i``, ``r``, ``s`` and ``cmp`` of docs/storage.md."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    ranges: list[dict[str, Any]] = field(default_factory=list)
    sort: dict[str, Any] = field(default_factory=dict)
    compartments: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PlanStep:
    code: str
    type: str
    extractor: Extractor
    normaliser: Normaliser
    sort_key: SortKey
    field: str = "i"
    #: A composite's entries straight from the resource, sharing the extraction's memo.
    composite: composite.Entries | None = None


def _no_sort_key(entries: list[dict[str, Any]]) -> Any:
    return None


def _composite_step(code: str, param: SearchParam, resource_type: str) -> PlanStep | None:
    """A composite is extracted from the whole resource by :func:`composite.normaliser`."""
    entries_of = composite.normaliser(param, resource_type)
    if entries_of is None:
        return None
    return PlanStep(code, param.type, _whole, lambda _code, values: entries_of(values[0], {}), _no_sort_key,
                    entry_array(composite.last_type(param)), entries_of)


def _whole(resource: dict[str, Any]) -> list[Any]:
    return [resource]


def plan_step(code: str, param: SearchParam, resource_type: str) -> PlanStep | None:
    """How to extract one parameter of one resource type; None if it is not extracted."""
    if not param.extractable or code in DOCUMENT_FIELDS:
        return None
    if param.type == "composite":
        return _composite_step(code, param, resource_type)
    kind = value_type(param.type)
    extractor = compile_expression(param.expression, resource_type)
    return PlanStep(code, param.type, extractor, kind.normalise, kind.sort_key, entry_array(param.type))


def plan(resource_type: str) -> tuple[PlanStep, ...]:
    """The extraction steps of one resource type, compiled once per registry generation."""
    return _plan(resource_type, custom_generation())


@lru_cache(maxsize=4096)
def _plan(resource_type: str, generation: int) -> tuple[PlanStep, ...]:
    steps = (plan_step(code, param, resource_type) for code, param in search_params(resource_type).items())
    return tuple(step for step in steps if step is not None)


def dedupe(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop repeated entries, keeping the first of each (order matters for sort keys)."""
    if len(entries) < 2:
        return entries
    seen: set[tuple[tuple[str, Any], ...]] = set()
    unique = []
    for entry in entries:
        key = tuple(entry.items())
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return unique


def _localise(entries: list[dict[str, Any]], base_url: str) -> list[dict[str, Any]]:
    for entry in entries:
        if ":" not in entry["p"]:  # not a ``:identifier`` entry
            entry["v"] = reference.localise(entry["v"], base_url)
    return entries


#: Types the R4 CompartmentDefinition leaves out although they name a patient: their ``patient``
#: reference parameter puts them in that patient's compartment (Task, Device, Contract,
#: GuidanceResponse), so that access control treats them as card data, not directory data.
FALLBACK_PARAMS = frozenset({"patient"})


def compartments(resource: dict[str, Any], entries: list[dict[str, Any]]) -> list[str]:
    """Ids of the patients whose compartment holds ``resource`` (a Patient is in its own).

    A Bundle (a stored document, ``$document?persist=true``) is in the compartments of every
    resource it holds: it carries their data.
    """
    resource_type = resource.get("resourceType", "")
    if resource_type == "Bundle":
        return _bundle_compartments(resource)
    if resource_type == "Binary":
        return _binary_compartments(resource)
    codes = set(patient_compartment_params(resource_type)) or set(FALLBACK_PARAMS)
    ids: list[str] = []
    if resource_type == "Patient" and isinstance(resource.get("id"), str):
        ids.append(resource["id"])
    for entry in entries:
        value = entry.get("v")
        if entry["p"] in codes and isinstance(value, str) and value.startswith("Patient/"):
            patient_id = value[len("Patient/"):]
            if "/" not in patient_id and patient_id not in ids:
                ids.append(patient_id)
    return ids


def _binary_compartments(binary: dict[str, Any]) -> list[str]:
    """A Binary has no search parameters in R4; ``securityContext`` naming a Patient puts it in that
    patient's card (http://hl7.org/fhir/R4/binary.html#security). A securityContext naming another
    resource would need that resource's compartment, which a pure extraction cannot look up."""
    context = binary.get("securityContext")
    reference = context.get("reference") if isinstance(context, dict) else None
    if isinstance(reference, str) and reference.startswith("Patient/") and reference.count("/") == 1:
        return [reference[len("Patient/"):]]
    return []


def _bundle_compartments(bundle: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    for entry in bundle.get("entry") or []:
        held = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(held, dict) or held.get("resourceType") == "SearchParameter":
            continue  # (extracting a SearchParameter would register it)
        for patient_id in extract(held).compartments:
            if patient_id not in ids:
                ids.append(patient_id)
    return ids


def extract(resource: dict[str, Any], *, base_url: str | None = None) -> Extracted:
    """Index entries, sort keys and compartments of ``resource`` (docs/storage.md, ``i r s cmp``).

    ``base_url`` is this server's base: absolute references to it are stored as ``Type/id``.
    """
    result = Extracted()
    if resource.get("resourceType") == "SearchParameter":
        register_now(resource)
    memo: composite.Memo = {}
    for step in plan(resource.get("resourceType", "")):
        if step.composite is not None:
            entries = step.composite(resource, memo)
        else:
            values = step.extractor(resource)
            entries = step.normaliser(step.code, values) if values else values
        if not entries:
            continue
        entries = dedupe(entries)
        if base_url and step.type == "reference":
            entries = dedupe(_localise(entries, base_url))
        (result.ranges if step.field == "r" else result.entries).extend(entries)
        sort_value = step.sort_key(entries)
        if sort_value is not None:
            result.sort[step.code] = sort_value
    result.compartments = compartments(resource, result.entries)
    return result
