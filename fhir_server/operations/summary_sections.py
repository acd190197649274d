"""What goes into each section of the patient summary (``$summary``, see :mod:`.summary`).

IPS STU2 (http://hl7.org/fhir/uv/ips/STU2/) sections, chosen for the ambulance crew: the
problem list and the allergies are complete (every current one, however old), the other
sections hold what is current or recent:

| section | LOINC | entries |
|---|---|---|
| allergies (required) | 48765-2 | AllergyIntolerance not inactive/resolved, not refuted/entered-in-error |
| problems (required) | 11450-4 | Condition active, recurrence, relapse or without status; not refuted/e-i-e |
| medications (required) | 10160-0 | MedicationRequest active/on-hold, MedicationStatement active/intended/on-hold |
| immunizations | 11369-6 | Immunization completed |
| results | 30954-2 | the latest laboratory Observation of each code ($lastn max 1) |
| procedures | 47519-4 | the ``RECENT`` latest completed Procedures |
| past illness | 11348-0 | Condition inactive, remission or resolved |
| discharge summaries | 18842-5 | the ``RECENT_DISCHARGES`` latest discharge summary Compositions |

All documents come from one query over the patient's compartment (narrowed per type by the
access policy), plus one for laboratory results that first reads only codes and dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fhir_server.rest import Context

from . import compartment_query as cq
from .lastn import effective_start, last_n

RECENT = 20
RECENT_DISCHARGES = 3
CLINICAL_TYPES = ("AllergyIntolerance", "Composition", "Condition", "Immunization", "MedicationRequest",
                  "MedicationStatement", "Procedure")
Doc = dict[str, Any]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    code: str
    display: str
    required: bool = False
    #: (system, code, display) of the "no information" entry of a required section (IPS absent-unknown)
    no_info: tuple[str, str] | None = None


SECTIONS = (
    Section("allergies", "Allergies and Intolerances", "48765-2", "Allergies and adverse reactions Document",
            True, ("no-allergy-info", "No information about allergies")),
    Section("problems", "Problem List", "11450-4", "Problem list - Reported",
            True, ("no-problem-info", "No information about problems")),
    Section("medications", "Medication Summary", "10160-0", "History of Medication use Narrative",
            True, ("no-medication-info", "No information about medications")),
    Section("immunizations", "Immunizations", "11369-6", "History of Immunization Narrative"),
    Section("results", "Results", "30954-2", "Relevant diagnostic tests/laboratory data Narrative"),
    Section("procedures", "History of Procedures", "47519-4", "History of Procedures Document"),
    Section("past_illness", "History of Past Illness", "11348-0", "History of Past illness Narrative"),
    Section("discharges", "Recent Discharge Summaries", "18842-5", "Discharge summary"),
)


def _code(res: Doc, element: str) -> str | None:
    concept = res.get(element)
    if not isinstance(concept, dict):
        return None
    return next((c.get("code") for c in concept.get("coding", []) if isinstance(c, dict)), None)


def current_allergy(res: Doc) -> bool:
    return (_code(res, "clinicalStatus") not in ("inactive", "resolved")
            and _code(res, "verificationStatus") not in ("refuted", "entered-in-error"))


def _condition_valid(res: Doc) -> bool:
    return _code(res, "verificationStatus") not in ("refuted", "entered-in-error")


def current_problem(res: Doc) -> bool:
    return _condition_valid(res) and _code(res, "clinicalStatus") in (None, "active", "recurrence", "relapse")


def past_illness(res: Doc) -> bool:
    return _condition_valid(res) and _code(res, "clinicalStatus") in ("inactive", "remission", "resolved")


def current_medication(res: Doc) -> bool:
    if res["resourceType"] == "MedicationRequest":
        return res.get("status") in ("active", "on-hold")
    return res.get("status") in ("active", "intended", "on-hold")


def discharge_summary(res: Doc) -> bool:
    return any(c.get("system") == "http://loinc.org" and c.get("code") == "18842-5"
               for c in (res.get("type") or {}).get("coding", []) if isinstance(c, dict))


def care_date(res: Doc) -> str:
    """A sortable date string of a clinical resource (ISO text sorts well enough for recency)."""
    for key in ("performedDateTime", "occurrenceDateTime", "date", "recordedDate", "authoredOn",
                "onsetDateTime", "effectiveDateTime"):
        if isinstance(res.get(key), str):
            return str(res[key])
    for key in ("performedPeriod", "onsetPeriod", "effectivePeriod"):
        if isinstance(res.get(key), dict):
            return str(res[key].get("start") or res[key].get("end") or "")
    return ""


def _latest(docs: list[Doc], keep: Callable[[Doc], bool], limit: int | None) -> list[Doc]:
    chosen = sorted((d for d in docs if keep(d["res"])), key=lambda d: (care_date(d["res"]), d["id"]), reverse=True)
    return chosen[:limit] if limit is not None else chosen


def select(ctx: Context, patient_id: str) -> tuple[dict[str, list[Doc]], dict[str, int]]:
    """Entries per section key, and per key how many qualified before a recency limit."""
    docs = cq.fetch(ctx, cq.compartment_filter(ctx, patient_id, CLINICAL_TYPES))
    of_type: dict[str, list[Doc]] = {}
    for doc in docs:
        of_type.setdefault(doc["t"], []).append(doc)
    procedures = _latest(of_type.get("Procedure", []), lambda r: r.get("status") == "completed", None)
    discharges = _latest(of_type.get("Composition", []), discharge_summary, None)
    out = {
        "allergies": _latest(of_type.get("AllergyIntolerance", []), current_allergy, None),
        "problems": _latest(of_type.get("Condition", []), current_problem, None),
        "medications": _latest(of_type.get("MedicationRequest", []) + of_type.get("MedicationStatement", []),
                               current_medication, None),
        "immunizations": _latest(of_type.get("Immunization", []), lambda r: r.get("status") == "completed", None),
        "results": latest_lab_results(ctx, patient_id),
        "procedures": procedures[:RECENT],
        "past_illness": _latest(of_type.get("Condition", []), past_illness, None),
        "discharges": discharges[:RECENT_DISCHARGES],
    }
    totals = {"procedures": len(procedures), "discharges": len(discharges)}
    return out, totals


LAB_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
LIGHT = {"t": 1, "id": 1, "lu": 1, "res.code": 1, "res.subject": 1, "res.effectiveDateTime": 1,
         "res.effectivePeriod": 1, "res.effectiveInstant": 1, "res.issued": 1}


def latest_lab_results(ctx: Context, patient_id: str) -> list[Doc]:
    """The latest laboratory Observation of each code: codes and dates first, then the chosen ones."""
    from fhir_server.search.compile import compile_search

    compiled = compile_search("Observation", [("category", LAB_CATEGORY)])
    extra = {"Observation": {k: v for k, v in compiled.filter.items() if k not in ("t", "del")}}
    query = cq.compartment_filter(ctx, patient_id, ("Observation",), extra=extra)
    light = ctx.store.find(query, projection=LIGHT)
    for doc in light:
        doc["res"].setdefault("resourceType", "Observation")
    chosen = last_n(light, 1)
    if not chosen:
        return []
    ids = [f"Observation/{d['id']}" for d in chosen]
    full = {d["id"]: d for d in cq.fetch(ctx, {"_id": {"$in": ids}, "del": {"$ne": True}})}
    ordered = sorted((full[d["id"]] for d in chosen if d["id"] in full),
                     key=lambda d: (effective_start(d["res"]) is not None, care_date(d["res"])), reverse=True)
    return ordered
