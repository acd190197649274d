"""Code systems, codes and unit tables shared by the mappers.

Every code here is taken from its published source: LOINC document section codes from the FHIR
value set ``doc-section-codes`` (the sections of C-CDA), ECG measurement codes from the US Core
clinical test codes, HL7 v2 tables 0078 (abnormal flags), 0085 (observation result status),
0123 (result status) and 0396 (coding systems) with the FHIR mappings of the HL7 V2-to-FHIR
implementation guide, DICOM PS3.16 (modalities, CID 29; body parts, Annex L).
"""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
DICOM_DCM = "http://dicom.nema.org/resources/ontology/DCM"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
DIAGNOSIS_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"system": system, "code": code, "display": display} if display else {"system": system, "code": code}


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    """A CodeableConcept with one coding (and a text when the source has its own wording)."""
    out: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


# LOINC section codes (FHIR R4 value set doc-section-codes).
SECTION_COMPLAINTS = ("10154-3", "Chief complaint Narrative - Reported")
SECTION_ANAMNESIS = ("10164-2", "History of Present illness Narrative")
SECTION_EXAMINATION = ("29545-1", "Physical findings Narrative")
SECTION_DIAGNOSIS = ("29548-5", "Diagnosis Narrative")
SECTION_PLAN = ("18776-5", "Plan of care note")
SECTION_HOSPITAL_COURSE = ("8648-8", "Hospital course Narrative")
SECTION_DISCHARGE_STUDIES = ("11493-4", "Hospital discharge studies summary Narrative")
SECTION_CONSULTATIONS = ("18841-7", "Hospital consultations Document")
SECTION_TREATMENT = ("29549-3", "Medication administered Narrative")
SECTION_DISCHARGE_INSTRUCTIONS = ("8653-8", "Hospital discharge instructions")
SECTION_DISCHARGE_DIAGNOSIS = ("11535-2", "Hospital discharge Dx Narrative")

# LOINC document and report codes.
DOC_OUTPATIENT_NOTE = ("34108-1", "Outpatient Note")
DOC_DISCHARGE_SUMMARY = ("18842-5", "Discharge summary")
REPORT_EKG = ("11524-6", "EKG study")
REPORT_ENDOSCOPY = ("18751-8", "Endoscopy study")
REPORT_IMAGING = ("18748-4", "Diagnostic imaging study")
PROCEDURE_FINDINGS = ("59776-5", "Procedure findings Narrative")

# HL7 v2 table 0078 abnormal flags -> v3 ObservationInterpretation (same codes, R4 displays).
INTERPRETATIONS: dict[str, str] = {
    "L": "Low", "H": "High", "LL": "Critical low", "HH": "Critical high", "N": "Normal",
    "A": "Abnormal", "AA": "Critical abnormal", "<": "Off scale low", ">": "Off scale high",
    "U": "Significant change up", "D": "Significant change down", "B": "Better", "W": "Worse",
    "S": "Susceptible", "R": "Resistant", "I": "Intermediate", "MS": "moderately susceptible",
    "VS": "very susceptible", "POS": "Positive", "NEG": "Negative", "IND": "Indeterminate",
    "DET": "Detected", "ND": "Not detected", "E": "Equivocal", "EX": "outside threshold",
    "HX": "above high threshold", "LX": "below low threshold", "HU": "Significantly high",
    "LU": "Significantly low", "NR": "Non-reactive", "RR": "Reactive", "WR": "Weakly reactive",
}

# HL7 v2 table 0085 (OBX-11) -> Observation.status (V2-to-FHIR ConceptMap "ObservationResultStatus").
OBSERVATION_STATUS = {"C": "corrected", "D": "entered-in-error", "F": "final", "I": "registered",
                      "N": "cancelled", "O": "registered", "P": "preliminary", "R": "preliminary",
                      "S": "preliminary", "U": "final", "W": "entered-in-error", "X": "cancelled"}
# HL7 v2 table 0123 (OBR-25) -> DiagnosticReport.status.
REPORT_STATUS = {"O": "registered", "I": "registered", "S": "registered", "A": "partial",
                 "P": "preliminary", "C": "corrected", "R": "partial", "F": "final", "X": "cancelled",
                 "Y": "unknown", "Z": "unknown"}

# HL7 v2 table 0396 coding system names -> FHIR code system URIs.
V2_CODING_SYSTEMS = {"LN": LOINC, "SCT": SNOMED, "SNM": SNOMED, "I10": ICD10, "UCUM": UCUM}

# Units as Russian laboratories write them -> UCUM (http://unitsofmeasure.org/ucum.html).
UCUM_UNITS: dict[str, str] = {
    "г/л": "g/L", "г/дл": "g/dL", "мг/л": "mg/L", "мг/дл": "mg/dL", "ммоль/л": "mmol/L",
    "мкмоль/л": "umol/L", "нмоль/л": "nmol/L", "пмоль/л": "pmol/L", "10^9/л": "10*9/L",
    "10*9/л": "10*9/L", "х10^9/л": "10*9/L", "10^12/л": "10*12/L", "10*12/л": "10*12/L",
    "х10^12/л": "10*12/L", "ед/л": "U/L", "мед/л": "mU/L", "мме/л": "m[IU]/L", "мкме/мл": "u[IU]/mL",
    "ме/мл": "[IU]/mL", "мм/ч": "mm/h", "фл": "fL", "пг": "pg", "%": "%", "с": "s", "сек": "s",
    "мкг/л": "ug/L", "нг/мл": "ng/mL", "пг/мл": "pg/mL", "мл/мин": "mL/min", "кл/мкл": "/uL",
    "g/l": "g/L", "mmol/l": "mmol/L", "umol/l": "umol/L", "10^9/l": "10*9/L", "10^12/l": "10*12/L",
    "u/l": "U/L", "mm/h": "mm/h", "fl": "fL", "pg": "pg", "s": "s", "mg/l": "mg/L",
}
UCUM_CODES = frozenset(UCUM_UNITS.values())


def ucum(unit: str) -> str | None:
    """The UCUM code of a unit as a laboratory wrote it, if it is known."""
    text = unit.strip()
    if text in UCUM_CODES:
        return text
    return UCUM_UNITS.get(text.lower().replace(" ", ""))


# DICOM PS3.16 CID 29 acquisition modalities (the ones the EMC receives).
MODALITIES = {"CT": "Computed Tomography", "MR": "Magnetic Resonance", "MG": "Mammography",
              "DX": "Digital Radiography", "CR": "Computed Radiography", "US": "Ultrasound",
              "PT": "Positron emission tomography", "NM": "Nuclear Medicine",
              "XA": "X-Ray Angiography", "RF": "Radio Fluoroscopy", "OT": "Other",
              "SR": "SR Document", "KO": "Key Object Selection", "PR": "Presentation State"}
NON_ACQUISITION = frozenset({"SR", "KO", "PR"})  # series that hold no images

# DICOM PS3.16 Annex L: Body Part Examined (0018,0015) -> SNOMED CT.
BODY_PARTS = {"CHEST": ("51185008", "Thoracic structure"), "HEAD": ("69536005", "Head structure"),
              "BREAST": ("76752008", "Breast structure"), "ABDOMEN": ("113345001", "Abdominal structure"),
              "PELVIS": ("12921003", "Pelvic structure"), "NECK": ("45048000", "Neck structure"),
              "BRAIN": ("12738006", "Brain structure"), "KNEE": ("72696002", "Knee region structure"),
              "CSPINE": ("122494005", "Cervical spine structure"),
              "TSPINE": ("122495006", "Thoracic spine structure"),
              "LSPINE": ("122496007", "Lumbar spine structure")}
