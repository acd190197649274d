"""Valid instances of every EMC profile, each claiming its profile in ``meta.profile``.

Tests break one rule at a time on a deep copy (``tests/profiles/test_profiles.py``).
"""

from __future__ import annotations

import copy
from typing import Any

P = "https://emc.mos.ru/fhir/StructureDefinition/"
SID = "https://emc.mos.ru/fhir/sid/"
LOINC = "http://loinc.org"
KINSHIP = P + "kinship-verified"


def meta(profile: str) -> dict[str, Any]:
    return {"profile": [P + profile]}


def cc(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def div(text: str) -> dict[str, Any]:
    return {"status": "additional", "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{text}</p></div>'}


PATIENT = {
    "resourceType": "Patient", "meta": meta("emc-patient"),
    "identifier": [{"system": SID + "mhi", "value": "7700000000000019"},
                   {"system": SID + "snils", "value": "11223344595"},
                   {"system": SID + "passport", "value": "4510123456"}],
    "name": [{"family": "Иванова", "given": ["Анна", "Петровна"]}],
    "gender": "female", "birthDate": "2015-04-01",
}

GUARDIAN = {
    "resourceType": "RelatedPerson", "meta": meta("emc-guardian"),
    "extension": [{"url": KINSHIP, "valueBoolean": True}],
    "active": True, "patient": {"reference": "Patient/child-1"},
    "relationship": [cc("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "MTH", "mother")],
    "name": [{"family": "Иванова", "given": ["Мария"]}],
}

ENCOUNTER = {
    "resourceType": "Encounter", "meta": meta("emc-encounter"),
    "identifier": [{"system": SID + "hospital-stay", "value": "0501/ИБ-2024-01731"}],
    "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
    "subject": {"reference": "Patient/p1"},
    "period": {"start": "2024-03-05T10:20:00+03:00", "end": "2024-03-15T12:00:00+03:00"},
    "serviceProvider": {"reference": "Organization/o1"},
}

CONDITION = {
    "resourceType": "Condition", "meta": meta("emc-condition"),
    "category": [cc("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis")],
    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I11.9"}], "text": "Гипертензивная болезнь"},
    "subject": {"reference": "Patient/p1"},
}

EXAM_PROTOCOL = {
    "resourceType": "Composition", "meta": meta("emc-exam-protocol"),
    "identifier": {"system": SID + "exam-protocol", "value": "0112/P-2024-000123"},
    "status": "final", "type": cc(LOINC, "34108-1", "Outpatient Note"),
    "subject": {"reference": "Patient/p1"}, "encounter": {"reference": "Encounter/e1"},
    "date": "2024-03-12T10:41:07+03:00", "author": [{"reference": "Practitioner/d1"}], "title": "Протокол осмотра",
    "section": [
        {"title": "Жалобы", "code": cc(LOINC, "10154-3"), "text": div("Головная боль")},
        {"title": "Анамнез", "code": cc(LOINC, "10164-2"), "text": div("5 лет")},
        {"title": "Осмотр", "code": cc(LOINC, "29545-1"), "text": div("АД 158/96")},
        {"title": "Диагноз", "code": cc(LOINC, "29548-5"), "text": div("I11.9"),
         "entry": [{"reference": "Condition/c1"}]},
        {"title": "Рекомендации", "code": cc(LOINC, "18776-5"), "text": div("Лизиноприл")},
    ],
}


def _section(title: str, code: str) -> dict[str, Any]:
    return {"title": title, "code": cc(LOINC, code), "text": div(title)}


DISCHARGE = {
    "resourceType": "Composition", "meta": meta("emc-discharge-summary"),
    "identifier": {"system": SID + "discharge-summary", "value": "0501/ЭП-2024-01731"},
    "status": "final", "type": cc(LOINC, "18842-5", "Discharge summary"),
    "subject": {"reference": "Patient/p1"}, "encounter": {"reference": "Encounter/e1"},
    "date": "2024-03-15T12:30:00+03:00", "author": [{"reference": "Practitioner/d1"}], "title": "Выписной эпикриз",
    "section": [_section("Течение", "8648-8"), _section("Исследования", "11493-4"),
                _section("Консультации", "18841-7"), _section("Лечение", "29549-3"),
                _section("Рекомендации", "8653-8")],
}

LAB_REPORT = {
    "resourceType": "DiagnosticReport", "meta": meta("emc-lab-report"),
    "identifier": [{"system": SID + "lab-order", "value": "CDL01/240312-0457"}],
    "status": "final", "category": [cc("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB")],
    "code": {"coding": [{"system": LOINC, "code": "58410-2"}], "text": "Общий анализ крови"},
    "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-03-12T08:30:00+03:00",
    "performer": [{"reference": "Organization/lab"}], "result": [{"reference": "Observation/o1"}],
}

LAB_OBSERVATION = {
    "resourceType": "Observation", "meta": meta("emc-lab-observation"),
    "identifier": [{"system": SID + "lab-result", "value": "CDL01/240312-0457/718-7"}],
    "status": "final", "category": [cc("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
    "code": {"coding": [{"system": LOINC, "code": "718-7"}], "text": "Гемоглобин"},
    "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-03-12T08:30:00+03:00",
    "valueQuantity": {"value": 128, "unit": "г/л", "system": "http://unitsofmeasure.org", "code": "g/L"},
}

IMAGING_STUDY = {
    "resourceType": "ImagingStudy", "meta": meta("emc-imaging-study"),
    "identifier": [{"system": "urn:dicom:uid", "value": "urn:oid:2.25.1964077957809671"}],
    "status": "available",
    "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}],
    "subject": {"reference": "Patient/p1"}, "started": "2024-03-20T09:30:12+03:00",
}

IMAGING_REPORT = {
    "resourceType": "DiagnosticReport", "meta": meta("emc-imaging-report"),
    "status": "final", "category": [cc("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD")],
    "code": {"coding": [{"system": LOINC, "code": "18748-4"},
                        {"system": "https://emc.mos.ru/fhir/CodeSystem/emc-study-kind", "code": "ct"}]},
    "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-03-20T09:30:12+03:00",
    "imagingStudy": [{"reference": "ImagingStudy/s1"}], "conclusion": "Без патологии",
}

INSTRUMENTAL_REPORT = {
    "resourceType": "DiagnosticReport", "meta": meta("emc-instrumental-report"),
    "identifier": [{"system": SID + "instrumental-report", "value": "0112/ECG-2024-004417"}],
    "status": "final", "category": [cc("http://terminology.hl7.org/CodeSystem/v2-0074", "EC")],
    "code": {"coding": [{"system": LOINC, "code": "11524-6"}]},
    "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-03-12T09:40:00+03:00",
    "performer": [{"reference": "Organization/o1"}], "result": [{"reference": "Observation/hr"}],
    "conclusion": "Синусовый ритм",
}

VALID: dict[str, dict[str, Any]] = {
    "emc-patient": PATIENT, "emc-guardian": GUARDIAN, "emc-encounter": ENCOUNTER, "emc-condition": CONDITION,
    "emc-exam-protocol": EXAM_PROTOCOL, "emc-discharge-summary": DISCHARGE, "emc-lab-report": LAB_REPORT,
    "emc-lab-observation": LAB_OBSERVATION, "emc-imaging-study": IMAGING_STUDY, "emc-imaging-report": IMAGING_REPORT,
    "emc-instrumental-report": INSTRUMENTAL_REPORT,
}


def valid(profile: str) -> dict[str, Any]:
    return copy.deepcopy(VALID[profile])
