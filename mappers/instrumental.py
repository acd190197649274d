"""Instrumental studies (ECG, endoscopy; our JSON export, ``schemas/instrumental.schema.json``) -> FHIR.

docs/architecture.md, "The card as FHIR": "endoscopy, ECG, other instrumental" are "DiagnosticReport + Observation
(ECG measurements)". The study becomes a DiagnosticReport (http://hl7.org/fhir/R4/
diagnosticreport.html) with the doctor's conclusion; each measurement an Observation (category
``procedure``) with its LOINC code and UCUM unit, as the US Core clinical test codes list them:

=============  =========  ==========================  ======
field          LOINC      display                     unit
=============  =========  ==========================  ======
heartRate      8867-4     Heart rate                  /min
rhythm         8884-9     Heart rate rhythm           (text)
prInterval     8625-6     P-R interval                ms
qrsDuration    8633-0     QRS duration                ms
qtInterval     8634-8     Q-T interval                ms
qtcInterval    8636-3     Q-T interval corrected      ms
qrsAxis        8632-2     QRS axis                    deg
findings       59776-5    Procedure findings Narrative (text)
=============  =========  ==========================  ======

The ECG report is LOINC 11524-6 "EKG study" in category EC (v2 table 0074, electrocardiac); the
endoscopy report LOINC 18751-8 "Endoscopy study" in category SNOMED CT 423827005 "Endoscopy" (table
0074 has no endoscopy section).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import emc_profiles as profiles
from . import identifiers as ids
from . import terminology as t
from .bundle import TransactionBuilder, full_url, identifier, reference
from .dates import from_iso
from .errors import MappingError
from .json_export import map_file, parse_record
from .resources import Person, add_organization, add_patient, add_practitioner

SCHEMA = "instrumental"
MEASUREMENTS = {  # field -> (LOINC, display, UCUM code, unit as shown)
    "heartRate": ("8867-4", "Heart rate", "/min", "уд/мин"),
    "rhythm": ("8884-9", "Heart rate rhythm", None, None),
    "prInterval": ("8625-6", "P-R interval", "ms", "мс"),
    "qrsDuration": ("8633-0", "QRS duration", "ms", "мс"),
    "qtInterval": ("8634-8", "Q-T interval", "ms", "мс"),
    "qtcInterval": ("8636-3", "Q-T interval corrected", "ms", "мс"),
    "qrsAxis": ("8632-2", "QRS axis", "deg", "°"),
}
KINDS = {  # kind -> (report code, category, default text)
    "ecg": (t.REPORT_EKG, t.concept(t.V2_0074, "EC", "Electrocardiac (e.g., EKG, EEC, Holter)"), "ЭКГ"),
    "endoscopy": (t.REPORT_ENDOSCOPY, t.concept(t.SNOMED, "423827005", "Endoscopy"), "Эндоскопическое исследование"),
}
PROCEDURE = t.concept(t.OBSERVATION_CATEGORY, "procedure", "Procedure")


def map_instrumental_study(source: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    """One instrumental study (a dict, or its JSON text) -> a transaction Bundle."""
    record = parse_record(source, SCHEMA)
    tx = TransactionBuilder()
    clinic_code = record["clinic"]["code"]
    study_value = ids.scoped(clinic_code, record["studyId"])
    patient = _patient(tx, record["patient"])
    clinic = add_organization(tx, ids.CLINIC, clinic_code, record["clinic"]["name"])
    doctor = record["doctor"]
    practitioner = add_practitioner(tx, _at("$.doctor.snils", ids.snils, doctor["snils"]),
                                    Person(doctor["family"], doctor["given"], doctor.get("patronymic")))
    performed = _at("$.performed", from_iso, record["performed"])
    issued = _at("$.issued", from_iso, record["issued"]) if "issued" in record else None
    observations = [_observation(field, value, study_value, patient, practitioner, performed, issued)
                    for field, value in _measurements(record)]
    report = _report(record, study_value, patient, practitioner, clinic, performed, issued,
                     [url for url, _, _ in observations])
    tx.add(report, ids.INSTRUMENTAL_REPORT, study_value)
    for _, observation, value in observations:
        tx.add(observation, ids.INSTRUMENTAL_RESULT, value)
    return tx.bundle()


def map_instrumental_file(path: Path) -> list[dict[str, Any]]:
    """Every study of an export file (object, array or NDJSON) -> one Bundle each."""
    return map_file(path, map_instrumental_study)


def _at(where: str, parse: Any, value: str) -> Any:
    try:
        return parse(value)
    except MappingError as exc:
        raise exc.within(where=where) from None


def _patient(tx: TransactionBuilder, data: Mapping[str, Any]) -> str:
    mhi = _at("$.patient.mhi", ids.mhi, data["mhi"])
    snils = _at("$.patient.snils", ids.snils, data["snils"]) if "snils" in data else None
    birth = _at("$.patient.birthDate", from_iso, data["birthDate"])
    person = Person(data["family"], data["given"], data.get("patronymic"))
    return add_patient(tx, mhi, person, birth_date=birth, gender=data["gender"], snils=snils)


def _measurements(record: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The fields that become Observations, in a fixed order (the table above)."""
    ecg = record.get("ecg", {})
    out = [(field, ecg[field]) for field in MEASUREMENTS if field in ecg]
    if "findings" in record:
        out.append(("findings", record["findings"]))
    return out


def _observation(field: str, value: Any, study_value: str, patient: str, practitioner: str, performed: str,
                 issued: str | None) -> tuple[str, dict[str, Any], str]:
    if field == "findings":
        code, display, ucum, unit = *t.PROCEDURE_FINDINGS, None, None
    else:
        code, display, ucum, unit = MEASUREMENTS[field]
    obs_value = ids.scoped(study_value, code)
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [identifier(ids.INSTRUMENTAL_RESULT, obs_value)],
        "status": "final",
        "category": [PROCEDURE],
        "code": t.concept(t.LOINC, code, display),
        "subject": reference(patient),
        "effectiveDateTime": performed,
    }
    if issued:
        observation["issued"] = issued
    observation["performer"] = [reference(practitioner)]
    if ucum:
        observation["valueQuantity"] = {"value": value, "unit": unit, "system": t.UCUM, "code": ucum}
    else:
        observation["valueString"] = value
    return full_url("Observation", ids.INSTRUMENTAL_RESULT, obs_value), observation, obs_value


def _report(record: Mapping[str, Any], value: str, patient: str, practitioner: str, clinic: str, performed: str,
            issued: str | None, results: list[str]) -> dict[str, Any]:
    (code, display), category, default_text = KINDS[record["kind"]]
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "meta": {"profile": [profiles.INSTRUMENTAL_REPORT]},
        "identifier": [identifier(ids.INSTRUMENTAL_REPORT, value)],
        "status": "final",
        "category": [category],
        "code": t.concept(t.LOINC, code, display, text=record.get("method", default_text)),
        "subject": reference(patient),
        "effectiveDateTime": performed,
    }
    if issued:
        report["issued"] = issued
    report["performer"] = [reference(clinic)]
    report["resultsInterpreter"] = [reference(practitioner)]
    if results:
        report["result"] = [reference(url) for url in results]
    report["conclusion"] = record["conclusion"]
    return report
