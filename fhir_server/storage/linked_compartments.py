"""Compartments a resource takes from what it points at (docs/auth.md, "Indirect compartments").

The R4 patient CompartmentDefinition leaves out resources that carry a patient's data without
naming the patient: a Binary whose ``securityContext`` is a DocumentReference (the usual way a
document's bytes are stored, http://hl7.org/fhir/R4/binary.html#security), a Provenance whose
``target`` is an Observation, a MessageHeader whose ``focus`` is a lab report. Left in no
compartment they would be directory data, open to every clinician. Such a resource instead joins
the compartments of every resource it points at:

- Binary follows ``securityContext``, Provenance its ``target``s (besides its own ``patient``);
- any other type outside the CompartmentDefinition follows every reference it holds.

The references followed are stored with the document (``lk``) and the compartments are resolved
at write time (:func:`resolve`); when a target's compartments change later, the store resolves its
dependents again (``ResourceStore``), so that they keep following it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from fhir_server.spec.compartment import in_patient_compartment

#: How far a chain of links is followed (a Provenance of a Binary of a DocumentReference is 2).
MAX_LINK_DEPTH = 4
#: Types whose links are only the listed elements (each a reference or a list of references).
LINK_PATHS: dict[str, tuple[str, ...]] = {"Binary": ("securityContext",), "Provenance": ("target",)}
#: Types with compartment rules of their own (a Bundle: the resources it holds).
OWN_RULES = frozenset({"Bundle"})
#: Types that never hold a patient's data: references to them are not looked up.
DIRECTORY = frozenset({
    "Organization", "Practitioner", "PractitionerRole", "Location", "HealthcareService", "Endpoint",
    "Medication", "Substance", "ValueSet", "CodeSystem", "ConceptMap", "NamingSystem",
    "StructureDefinition", "SearchParameter", "OperationDefinition", "CapabilityStatement",
    "Questionnaire", "PlanDefinition", "ActivityDefinition", "Library", "Measure",
})


def follows_links(resource_type: str) -> bool:
    """Whether resources of this type take compartments from what they point at.

    Such a resource carries the data of every compartment it joins, so the access policy opens it
    only to a token that reaches all of them (like a stored Bundle).
    """
    if resource_type in OWN_RULES:
        return False
    return resource_type in LINK_PATHS or not in_patient_compartment(resource_type)


def links(resource: dict[str, Any]) -> list[str]:
    """The ``Type/id`` references whose compartments ``resource`` joins (empty if it follows none)."""
    rtype = resource.get("resourceType", "")
    if rtype == "Bundle":  # a stored Bundle also joins what the resources it holds point at
        return _held_links(resource)
    if not follows_links(rtype):
        return []
    paths = LINK_PATHS.get(rtype)
    values = [resource.get(p) for p in paths] if paths is not None else [
        {k: v for k, v in resource.items() if k not in ("id", "meta")}]
    out: list[str] = []
    for reference in _references(values):
        key = _local(reference)
        if key and key not in out and key.split("/", 1)[0] not in DIRECTORY:
            out.append(key)
    return out


def _held_links(bundle: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for entry in bundle.get("entry") or []:
        held = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(held, dict):
            _add(out, links(held))
    return out


def _references(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str):
            yield reference
        for key, item in value.items():
            if key != "reference":
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _local(reference: str) -> str | None:
    """``Type/id`` of a relative reference (a version suffix dropped); None for other forms."""
    parts = reference.split("/")
    if len(parts) in (2, 4) and parts[0][:1].isupper() and parts[1] and (len(parts) == 2 or parts[2] == "_history"):
        return f"{parts[0]}/{parts[1]}"
    return None


def resolve(resources: Collection, targets: list[str], session: ClientSession | None = None,
            pending: Mapping[str, list[str]] | None = None) -> tuple[list[str], list[str]]:
    """(compartments of ``targets``, the targets not found).

    A Patient is its own compartment; other targets are looked up among ``pending`` (resources of
    the same bundle, not yet stored) and then the stored documents (a deletion keeps the
    compartments of what it deleted, so following it stays as narrow as before).
    """
    compartments: list[str] = []
    missing: list[str] = []
    lookup: list[str] = []
    for target in targets:
        rtype, rid = target.split("/", 1)
        if rtype == "Patient":
            _add(compartments, [rid])
        elif pending is not None and target in pending:
            _add(compartments, pending[target])
        else:
            lookup.append(target)
    if lookup:
        found = {d["_id"]: d.get("cmp") or [] for d in resources.find({"_id": {"$in": lookup}}, {"cmp": 1},
                                                                      session=session)}
        for target in lookup:
            if target in found:
                _add(compartments, found[target])
            else:
                missing.append(target)
    return compartments, missing


def _add(into: list[str], items: Iterable[str]) -> None:
    for item in items:
        if item not in into:
            into.append(item)


def merged(direct: list[str], linked: list[str]) -> list[str]:
    out = list(direct)
    _add(out, linked)
    return out


def compartments_of(resources: Collection, resource: dict[str, Any], direct: list[str],
                    session: ClientSession | None = None) -> tuple[list[str], list[str]]:
    """(every compartment of ``resource``: ``direct`` ones and those of what it points at, its links)."""
    targets = links(resource)
    if not targets:
        return direct, []
    return merged(direct, resolve(resources, targets, session)[0]), targets
