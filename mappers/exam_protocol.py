"""Clinic examination protocol (our JSON export, ``schemas/exam_protocol.schema.json``) -> FHIR.

docs/architecture.md, "The card as FHIR": an examination protocol is "Encounter (AMB) + Composition with sections +
Condition (ICD-10)". The visit becomes an ambulatory Encounter (``class`` AMB from v3 ActCode,
http://hl7.org/fhir/R4/encounter.html); the protocol a Composition (LOINC 34108-1 "Outpatient
Note") whose sections carry the LOINC section codes of C-CDA (FHIR value set doc-section-codes):
complaints 10154-3, anamnesis 10164-2, examination 29545-1, diagnosis 29548-5, recommendations
18776-5; each diagnosis a Condition coded in ICD-10 (http://hl7.org/fhir/sid/icd-10, category
encounter-diagnosis), ranked in ``Encounter.diagnosis`` with the main one first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from . import emc_profiles as profiles
from . import identifiers as ids
from . import terminology as t
from .bundle import TransactionBuilder, full_url, identifier, reference
from .dates import from_iso
from .errors import MappingError
from .json_export import map_file, parse_record
from .resources import Person, add_organization, add_patient, add_practitioner, narrative

SCHEMA = "exam_protocol"
TITLE = "Протокол осмотра"
SECTIONS = (  # (field, title, LOINC)
    ("complaints", "Жалобы", t.SECTION_COMPLAINTS),
    ("anamnesis", "Анамнез заболевания", t.SECTION_ANAMNESIS),
    ("examination", "Объективный осмотр", t.SECTION_EXAMINATION),
    ("diagnoses", "Диагноз", t.SECTION_DIAGNOSIS),
    ("recommendations", "Рекомендации", t.SECTION_PLAN),
)
KIND_TITLES = {"main": "Основной", "secondary": "Сопутствующий", "complication": "Осложнение"}

T = TypeVar("T")


def map_exam_protocol(source: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    """One examination protocol (a dict, or its JSON text) -> a transaction Bundle."""
    record = parse_record(source, SCHEMA)
    tx = TransactionBuilder()
    clinic_code = record["clinic"]["code"]
    visit_id = record["visit"]["id"]
    patient = _patient(tx, record["patient"])
    clinic = add_organization(tx, ids.CLINIC, clinic_code, record["clinic"]["name"])
    doctor = record["doctor"]
    practitioner = add_practitioner(tx, _at("$.doctor.snils", ids.snils, doctor["snils"]), _person(doctor))
    start = _at("$.visit.start", from_iso, record["visit"]["start"])
    end = _at("$.visit.end", from_iso, record["visit"]["end"]) if "end" in record["visit"] else None
    signed = _at("$.signed", from_iso, record["signed"]) if "signed" in record else (end or start)

    _check_unique_codes(record["diagnoses"])
    diagnoses = sorted(record["diagnoses"], key=lambda d: d["kind"] != "main")  # main first, order kept
    conditions = [(d, full_url("Condition", ids.DIAGNOSIS, ids.scoped(clinic_code, visit_id, d["icd10"])))
                  for d in diagnoses]
    visit_value = ids.scoped(clinic_code, visit_id)
    encounter = tx.add(_encounter(visit_value, patient, practitioner, clinic, start, end, conditions),
                       ids.VISIT, visit_value)
    protocol_value = ids.scoped(clinic_code, record["protocolId"])
    tx.add(_composition(record, protocol_value, patient, encounter, practitioner, clinic, signed, conditions),
           ids.EXAM_PROTOCOL, protocol_value)
    for diagnosis, _ in conditions:
        value = ids.scoped(clinic_code, visit_id, diagnosis["icd10"])
        tx.add(_condition(diagnosis, value, patient, encounter, practitioner, start), ids.DIAGNOSIS, value)
    return tx.bundle()


def map_exam_protocol_file(path: Path) -> list[dict[str, Any]]:
    """Every protocol of an export file (object, array or NDJSON) -> one Bundle each."""
    return map_file(path, map_exam_protocol)


def _at(where: str, parse: Callable[[str], T], value: str) -> T:
    try:
        return parse(value)
    except MappingError as exc:
        raise exc.within(where=where) from None


def _check_unique_codes(diagnoses: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for index, diagnosis in enumerate(diagnoses):
        if diagnosis["icd10"] in seen:
            raise MappingError(f"{diagnosis['icd10']} is listed twice", where=f"$.diagnoses[{index}].icd10")
        seen.add(diagnosis["icd10"])


def _person(data: Mapping[str, Any]) -> Person:
    return Person(data["family"], data.get("given"), data.get("patronymic"))


def _patient(tx: TransactionBuilder, data: Mapping[str, Any]) -> str:
    mhi = _at("$.patient.mhi", ids.mhi, data["mhi"])
    snils = _at("$.patient.snils", ids.snils, data["snils"]) if "snils" in data else None
    birth = _at("$.patient.birthDate", from_iso, data["birthDate"])
    return add_patient(tx, mhi, _person(data), birth_date=birth, gender=data["gender"], snils=snils)


def _encounter(value: str, patient: str, practitioner: str, clinic: str, start: str, end: str | None,
               conditions: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    diagnosis = []
    for rank, (d, url) in enumerate(conditions, start=1):
        item: dict[str, Any] = {"condition": reference(url)}
        if d["kind"] == "secondary":
            item["use"] = t.concept(t.DIAGNOSIS_ROLE, "CM", "Comorbidity diagnosis")
        item["rank"] = rank
        diagnosis.append(item)
    return {
        "resourceType": "Encounter",
        "meta": {"profile": [profiles.ENCOUNTER]},
        "identifier": [identifier(ids.VISIT, value)],
        "status": "finished",
        "class": t.coding(t.ACT_CODE, "AMB", "ambulatory"),
        "subject": reference(patient),
        "participant": [{"type": [t.concept(t.PARTICIPATION_TYPE, "PPRF", "primary performer")],
                         "individual": reference(practitioner)}],
        "period": {"start": start, "end": end} if end else {"start": start},
        "diagnosis": diagnosis,
        "serviceProvider": reference(clinic),
    }


def _composition(record: Mapping[str, Any], value: str, patient: str, encounter: str, practitioner: str,
                 clinic: str, signed: str, conditions: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    sections = []
    for field, title, (code, display) in SECTIONS:
        if field == "diagnoses":
            sections.append({"title": title, "code": t.concept(t.LOINC, code, display),
                             "text": narrative(_diagnosis_text(conditions), "generated"),
                             "entry": [reference(url) for _, url in conditions]})
        elif field in record:
            sections.append({"title": title, "code": t.concept(t.LOINC, code, display),
                             "text": narrative(record[field])})
    return {
        "resourceType": "Composition",
        "meta": {"profile": [profiles.EXAM_PROTOCOL]},
        "identifier": identifier(ids.EXAM_PROTOCOL, value),
        "status": "final",
        "type": t.concept(t.LOINC, *t.DOC_OUTPATIENT_NOTE, text=TITLE),
        "subject": reference(patient),
        "encounter": reference(encounter),
        "date": signed,
        "author": [reference(practitioner)],
        "title": TITLE,
        "custodian": reference(clinic),
        "section": sections,
    }


def _diagnosis_text(conditions: list[tuple[dict[str, Any], str]]) -> str:
    return "\n".join(f"{KIND_TITLES[d['kind']]}: {d['icd10']} {d['text']}" for d, _ in conditions)


def _condition(diagnosis: Mapping[str, Any], value: str, patient: str, encounter: str, practitioner: str,
               recorded: str) -> dict[str, Any]:
    verification = diagnosis.get("verification", "confirmed")
    return {
        "resourceType": "Condition",
        "meta": {"profile": [profiles.CONDITION]},
        "identifier": [identifier(ids.DIAGNOSIS, value)],
        "clinicalStatus": t.concept(t.CONDITION_CLINICAL, "active", "Active"),
        "verificationStatus": t.concept(t.CONDITION_VERIFICATION, verification, verification.capitalize()),
        "category": [t.concept(t.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")],
        "code": {"coding": [t.coding(t.ICD10, diagnosis["icd10"])], "text": diagnosis["text"]},
        "subject": reference(patient),
        "encounter": reference(encounter),
        "recordedDate": recorded,
        "recorder": reference(practitioner),
    }
