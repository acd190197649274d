"""Queries over one patient's compartment, narrowed by the access policy, for the operations.

The compartment (http://hl7.org/fhir/R4/compartmentdefinition-patient.html) is computed at
write time into the ``cmp`` field of each document (docs/storage.md), served by the
``compartment`` index (cmp, t, lu). Every query here adds, per resource type, the access
policy's ``search_filter``; callers still check ``visible`` on every document they return.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir_server.rest import Context
from fhir_server.search.compile import compile_search
from fhir_server.search.parameters import search_param
from fhir_server.spec.compartment import patient_compartment_params
from fhir_server.spec.resource_types import RESOURCE_TYPES

#: Documents as the operations read them: what the response and the access policy need, not the
#: search entries (``visible`` re-extracts them from ``res`` if a granular scope asks).
PROJECTION = {"t": 1, "id": 1, "vid": 1, "lu": 1, "cmp": 1, "res": 1}
#: The index these queries are meant for (tests check with ``explain()`` that the planner picks it).
INDEX = "compartment"

#: The care date of types whose ``date`` parameter is absent or is not the care date
#: (patient-operation-everything.html: start and end are "care dates, not record currency dates").
CARE_DATE_PARAMS = {
    "Condition": "onset-date", "MedicationRequest": "authoredon", "ImagingStudy": "started",
    "Claim": "created", "ExplanationOfBenefit": "created", "ServiceRequest": "authored",
    "Goal": "start-date", "Specimen": "collected", "MedicationAdministration": "effective-time",
    "MedicationDispense": "whenhandedover", "Provenance": "recorded", "Communication": "sent",
    "Patient": None, "Coverage": None,
}


@cache
def compartment_types() -> tuple[str, ...]:
    """The resource types that can be in a patient's compartment, Patient included."""
    return tuple(sorted(t for t in RESOURCE_TYPES if t == "Patient" or patient_compartment_params(t)))


@cache
def care_date_param(resource_type: str) -> str | None:
    """The date search parameter that gives a resource's care date; None when it has none."""
    code = CARE_DATE_PARAMS.get(resource_type, "date")
    if code is None:
        return None
    param = search_param(resource_type, code)
    return code if param is not None and param.type == "date" and param.extractable else None


def _and(parts: list[dict[str, Any]]) -> dict[str, Any]:
    parts = [p for p in parts if p]
    if not parts:
        return {}
    if len(parts) == 1:
        return parts[0]
    return {"$and": parts}


def care_date_filter(resource_type: str, start: str | None, end: str | None) -> dict[str, Any]:
    """Resources of the type whose care date overlaps ``[start, end]``, or that have no care date."""
    code = care_date_param(resource_type)
    if code is None or (start is None and end is None):
        return {}
    bounds = ([(code, f"ge{start}")] if start else []) + ([(code, f"le{end}")] if end else [])
    within = compile_search(resource_type, bounds).filter
    undated = compile_search(resource_type, [(f"{code}:missing", "true")]).filter
    return {"$or": [within, undated]}


def compartment_filter(ctx: Context, patient_id: str, types: tuple[str, ...] | None = None, *,
                       start: str | None = None, end: str | None = None,
                       extra: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The MongoDB filter of the patient's compartment, restricted to ``types`` (None: all),
    to care dates in ``[start, end]`` and to ``extra`` per-type conditions, through the policy."""
    wanted = types if types is not None else compartment_types()
    plain: list[str] = []
    clauses: list[dict[str, Any]] = []
    for rtype in wanted:
        narrowing = ctx.policy.search_filter(rtype)
        dated = care_date_filter(rtype, start, end)
        more = (extra or {}).get(rtype, {})
        if not narrowing and not dated and not more:
            plain.append(rtype)
            continue
        clauses.append(_and([{"t": rtype}, dated, more, narrowing]))
    if plain and (types is not None or clauses):
        clauses.insert(0, {"t": plain[0]} if len(plain) == 1 else {"t": {"$in": plain}})
    query: dict[str, Any] = {"cmp": patient_id, "del": {"$ne": True}}
    if len(clauses) == 1:
        clause = clauses[0]
        return {**query, **clause} if not clause.keys() & query.keys() else _and([query, clause])
    if clauses:
        query["$or"] = clauses
    return query


def fetch(ctx: Context, query: dict[str, Any], *, sort: list[tuple[str, int]] | None = None,
          limit: int = 0, hint: str | None = None) -> list[dict[str, Any]]:
    """The documents the caller may see, in order."""
    docs = ctx.store.find(query, sort=sort, limit=limit, projection=PROJECTION, hint=hint)
    return [d for d in docs if ctx.policy.visible(d)]
