"""The events of a person's history, as plain values the source emitters turn into documents.

They hold what a clinical system would know (dates, the doctor, the numbers it issued, the values)
and nothing about formats: ``sources/`` writes them as exam protocol JSON, HL7 v2, CDA, DICOM or
instrumental JSON, and ``fhir_direct`` as FHIR for the sections the mappers do not cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .diseases import Allergen, Drug
from .moscow import Doctor


@dataclass(frozen=True)
class Diagnosis:
    icd10: str
    text: str
    kind: str = "main"  # main / secondary / complication


@dataclass(frozen=True)
class Prescription:
    number: str  # the prescription's series and number, unique in the clinic
    drug: Drug
    day: date
    clinic: str
    doctor: Doctor
    visit_id: str | None
    chronic: bool  # long-term therapy (benefit prescription) or a course


@dataclass(frozen=True)
class Visit:
    visit_id: str
    protocol_id: str
    start: datetime
    minutes: int
    clinic: str
    doctor: Doctor
    diagnoses: tuple[Diagnosis, ...]
    complaints: str
    anamnesis: str
    examination: str
    recommendations: str


@dataclass(frozen=True)
class LabResult:
    loinc: str
    name: str
    value: float
    unit: str
    low: float | None
    high: float | None
    decimals: int


@dataclass(frozen=True)
class LabOrder:
    filler: str
    placer: str
    lab: str
    clinic: str
    doctor: Doctor
    panel: tuple[str, str]  # LOINC, name
    collected: datetime
    reported: datetime
    results: tuple[LabResult, ...]


@dataclass(frozen=True)
class Imaging:
    accession: str
    study_uid: str
    modality: str
    description: str
    body_part: str
    start: datetime
    series: tuple[int, ...]  # instances per series
    conclusion: str


@dataclass(frozen=True)
class Instrumental:
    study_id: str
    kind: str  # ecg / endoscopy
    method: str
    performed: datetime
    issued: datetime
    clinic: str
    doctor: Doctor
    ecg: dict[str, float | str] | None
    findings: str | None
    conclusion: str


@dataclass(frozen=True)
class Stay:
    number: str  # the case history number, unique in the hospital: <year>-<person>-<n>
    hospital: str
    doctor: Doctor
    head: Doctor
    admitted: datetime
    discharged: datetime
    diagnoses: tuple[Diagnosis, ...]
    course: str
    studies: str
    treatment: str
    recommendations: str


@dataclass(frozen=True)
class Vaccination:
    vaccination_id: str
    vaccine: str
    cvx: str | None
    dose: int
    series: str
    day: date
    clinic: str
    lot: str


@dataclass(frozen=True)
class ChronicCondition:
    icd10: str
    text: str
    onset: date


@dataclass(frozen=True)
class Allergy:
    allergen: Allergen
    recorded: date
