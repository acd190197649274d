"""The EMC profiles (``profiles/StructureDefinition-*.json``) the mapped resources claim.

A resource claims its profile in ``meta.profile`` (http://hl7.org/fhir/R4/resource.html#Meta),
and the server validates it against the profile on write (422 on a violation, docs/profiles.md).
A mapper claims a profile only on a resource that has everything the profile requires: a source
may leave out what the profile needs (a lab message without the patient's birth date or the
collection time), and such a resource is still mapped, without the claim.
"""

from __future__ import annotations

from typing import Any

BASE = "https://emc.mos.ru/fhir/StructureDefinition/"

PATIENT = BASE + "emc-patient"
GUARDIAN = BASE + "emc-guardian"
ENCOUNTER = BASE + "emc-encounter"
CONDITION = BASE + "emc-condition"
EXAM_PROTOCOL = BASE + "emc-exam-protocol"
DISCHARGE_SUMMARY = BASE + "emc-discharge-summary"
LAB_REPORT = BASE + "emc-lab-report"
LAB_OBSERVATION = BASE + "emc-lab-observation"
IMAGING_STUDY = BASE + "emc-imaging-study"
IMAGING_REPORT = BASE + "emc-imaging-report"
INSTRUMENTAL_REPORT = BASE + "emc-instrumental-report"

ALL = (PATIENT, GUARDIAN, ENCOUNTER, CONDITION, EXAM_PROTOCOL, DISCHARGE_SUMMARY, LAB_REPORT, LAB_OBSERVATION,
       IMAGING_STUDY, IMAGING_REPORT, INSTRUMENTAL_REPORT)


def claim(resource: dict[str, Any], profile: str) -> dict[str, Any]:
    """``resource`` with ``meta.profile`` = [profile], ``meta`` right after ``resourceType``."""
    rest = {k: v for k, v in resource.items() if k not in ("resourceType", "meta")}
    return {"resourceType": resource["resourceType"], "meta": {"profile": [profile]}, **rest}


def patient_complete(patient: dict[str, Any]) -> bool:
    """Whether a Patient has what ``emc-patient`` requires besides the MHI number: name, sex, birth date."""
    return all(patient.get(k) for k in ("name", "gender", "birthDate"))
