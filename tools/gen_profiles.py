"""Generate the EMC conformance resources in ``profiles/``: StructureDefinitions (differential
written here, snapshot generated), ValueSets and CodeSystems.

Run after changing a definition below (the output is committed; a test checks it is current)::

    .venv/bin/python tools/gen_profiles.py [path/to/shared/fhir-r4/definitions]

The differentials are written with a few helpers so that each profile reads as the list of
its rules (http://hl7.org/fhir/R4/profiling.html). Snapshots come from
:mod:`fhir_server.profiles.snapshot` over the official R4 definitions (CC0). The NamingSystem
files are the mappers' (``mappers/naming_systems.py``); the identifier systems used here are
theirs (``https://emc.mos.ru/fhir/sid/...``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fhir_server.profiles.snapshot import generate  # noqa: E402

BASE = "https://emc.mos.ru/fhir"
SID = f"{BASE}/sid"
FHIR_SD = "http://hl7.org/fhir/StructureDefinition"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DATE = "2026-11-25"
PUBLISHER = "Moscow EMC FHIR server project"
VERSION = "0.1.0"
RUSSIA = [{"coding": [{"system": "urn:iso:std:iso:3166", "code": "RU", "display": "Russian Federation"}]}]


def sd_url(name: str) -> str:
    return f"{BASE}/StructureDefinition/{name}"


def vs_url(name: str) -> str:
    return f"{BASE}/ValueSet/{name}"


def cs_url(name: str) -> str:
    return f"{BASE}/CodeSystem/{name}"


#: The access policy (fhir_server/access/policy.py) reads this extension: valueBoolean true = verified.
KINSHIP_EXT = sd_url("kinship-verified")

# -- element helpers ---------------------------------------------------------------------


def el(eid: str, **rules: Any) -> dict[str, Any]:
    """A differential element; ``path`` is the id without slice names."""
    path = ".".join(part.split(":")[0] for part in eid.split("."))
    return {"id": eid, "path": path, **rules}


def ref(*targets: str) -> list[dict[str, Any]]:
    """``Reference(...)`` to base types (``"Organization"``) or our profiles (``"emc-patient"``)."""
    return [{"code": "Reference",
             "targetProfile": [sd_url(t) if t.startswith("emc-") else f"{FHIR_SD}/{t}" for t in targets]}]


def required(valueset: str) -> dict[str, Any]:
    return {"strength": "required", "valueSet": vs_url(valueset)}


def invariant(key: str, human: str, expression: str) -> dict[str, Any]:
    return {"key": key, "severity": "error", "human": human, "expression": expression}


def concept(system: str, code: str) -> dict[str, Any]:
    """A pattern CodeableConcept: system and code only, so that any display matches."""
    return {"coding": [{"system": system, "code": code}]}


def slicing(path: str, kind: str = "value", rules: str = "open", description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"discriminator": [{"type": kind, "path": path}], "rules": rules}
    if description:
        out["description"] = description
    return out


def identifier_slice(base: str, name: str, system: str, min_: int, short: str) -> list[dict[str, Any]]:
    return [
        el(f"{base}.identifier:{name}", short=short, min=min_, max="1"),
        el(f"{base}.identifier:{name}.system", min=1, fixedUri=system),
        el(f"{base}.identifier:{name}.value", min=1),
    ]


def section(base: str, name: str, code: str, display: str, min_: int, short: str,
            entry: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    out = [el(f"{base}.section:{name}", short=short, min=min_, max="1"),
           el(f"{base}.section:{name}.code", min=1, short=display, patternCodeableConcept=concept(LOINC, code))]
    if entry:
        out.append(el(f"{base}.section:{name}.entry", min=1, type=entry))
    return out


def category_slice(base: str, name: str, system: str, code: str, display: str) -> list[dict[str, Any]]:
    return [
        el(f"{base}.category", min=1, slicing=slicing("$this", "pattern")),
        el(f"{base}.category:{name}", short=display, min=1, max="1", patternCodeableConcept=concept(system, code)),
    ]


def study_kind_slice(base: str, valueset: str) -> list[dict[str, Any]]:
    return [
        el(f"{base}.code.coding", slicing=slicing("system")),
        el(f"{base}.code.coding:studyKind", short="The EMC kind of study", min=0, max="1",
           binding=required(valueset)),
        el(f"{base}.code.coding:studyKind.system", min=1, fixedUri=cs_url("emc-study-kind")),
        el(f"{base}.code.coding:studyKind.code", min=1),
    ]


# -- the profiles ------------------------------------------------------------------------

PATIENT = [
    el("Patient", constraint=[
        invariant("emc-pat-1", "The MHI policy number has 16 digits",
                  f"identifier.where(system='{SID}/mhi').value.all(matches('^[0-9]{{16}}$'))"),
        invariant("emc-pat-2", "SNILS has 11 digits, written without separators",
                  f"identifier.where(system='{SID}/snils').value.all(matches('^[0-9]{{11}}$'))"),
        invariant("emc-pat-3", "A passport number is 10 digits (series and number)",
                  f"identifier.where(system='{SID}/passport').value.all(matches('^[0-9]{{10}}$'))"),
    ]),
    el("Patient.identifier", min=1, slicing=slicing("system", description="By identifier system")),
    *identifier_slice("Patient", "mhi", f"{SID}/mhi", 1, "MHI (ОМС) policy number: the key of the card"),
    *identifier_slice("Patient", "snils", f"{SID}/snils", 0, "SNILS"),
    *identifier_slice("Patient", "passport", f"{SID}/passport", 0, "Passport of a citizen of Russia"),
    el("Patient.name", min=1),
    el("Patient.gender", min=1),
    el("Patient.birthDate", min=1),
]

KINSHIP_EXTENSION = [
    el("Extension", short="Whether the kinship of a guardian with the child was verified",
       definition="True when the kinship (or legal guardianship) of the RelatedPerson with the child was "
                  "verified against documents (birth certificate, adoption or guardianship decision); a "
                  "guardian sees a child's card only when it was (fhir_server/access/policy.py)."),
    el("Extension.extension", max="0"),
    el("Extension.url", fixedUri=KINSHIP_EXT),
    el("Extension.value[x]", min=1, type=[{"code": "boolean"}]),
]

GUARDIAN = [
    el("RelatedPerson", constraint=[
        invariant("emc-grd-1", "An active guardian has verified kinship",
                  f"active = false or extension('{KINSHIP_EXT}').value = true"),
    ]),
    el("RelatedPerson.extension", slicing=slicing("url")),
    el("RelatedPerson.extension:kinshipVerified", short="Kinship verified", min=1, max="1",
       type=[{"code": "Extension", "profile": [KINSHIP_EXT]}]),
    el("RelatedPerson.extension:kinshipVerified.url", fixedUri=KINSHIP_EXT),
    el("RelatedPerson.extension:kinshipVerified.value[x]", min=1, type=[{"code": "boolean"}]),
    el("RelatedPerson.patient", type=ref("emc-patient")),
    el("RelatedPerson.relationship", min=1, binding=required("emc-guardian-relationship")),
    el("RelatedPerson.name", min=1),
]

ENCOUNTER = [
    el("Encounter", constraint=[
        invariant("emc-enc-1", "A finished hospital stay has its discharge time (period.end)",
                  "class.code = 'IMP' and status = 'finished' implies period.end.exists()"),
    ]),
    el("Encounter.identifier", min=1),
    el("Encounter.class", short="AMB clinic visit, IMP hospital stay, EMER ambulance call",
       binding=required("emc-encounter-class")),
    el("Encounter.subject", min=1, type=ref("emc-patient")),
    el("Encounter.period", min=1),
    el("Encounter.period.start", min=1),
    el("Encounter.serviceProvider", min=1, type=ref("Organization")),
]

CONDITION = [
    el("Condition", constraint=[
        invariant("emc-dx-1", "ICD-10 codes are written with Latin letters: a letter, two digits, an optional "
                  "dot and subdivision",
                  f"code.coding.where(system='{ICD10}').code.all(matches('^[A-Z][0-9]{{2}}(\\\\.[0-9A-Z]{{1,4}})?$'))"),
    ]),
    el("Condition.category", min=1),
    el("Condition.code", min=1),
    el("Condition.code.coding", min=1, slicing=slicing("system")),
    el("Condition.code.coding:icd10", short="The ICD-10 code", min=1, max="1", binding=required("emc-icd10")),
    el("Condition.code.coding:icd10.system", min=1, fixedUri=ICD10),
    el("Condition.code.coding:icd10.code", min=1),
    el("Condition.subject", type=ref("emc-patient")),
]

EXAM_PROTOCOL = [
    el("Composition", constraint=[
        invariant("emc-prot-1", "Each kind of section appears once",
                  f"section.code.coding.where(system='{LOINC}').code.isDistinct()"),
    ]),
    el("Composition.identifier", min=1),
    el("Composition.type", short="Outpatient Note", patternCodeableConcept=concept(LOINC, "34108-1")),
    el("Composition.subject", min=1, type=ref("emc-patient")),
    el("Composition.encounter", min=1, type=ref("emc-encounter")),
    el("Composition.section", min=1, slicing=slicing("code", "pattern", description="By LOINC section code")),
    *section("Composition", "complaints", "10154-3", "Chief complaint Narrative - Reported", 0, "Complaints"),
    *section("Composition", "anamnesis", "10164-2", "History of Present illness Narrative", 0, "Anamnesis"),
    *section("Composition", "examination", "29545-1", "Physical findings Narrative", 0, "Examination"),
    *section("Composition", "diagnosis", "29548-5", "Diagnosis Narrative", 1, "Diagnoses (ICD-10)",
             entry=ref("emc-condition")),
    *section("Composition", "recommendations", "18776-5", "Plan of care note", 0, "Recommendations"),
]

DISCHARGE = [
    el("Composition", constraint=[
        invariant("emc-dis-1", "Each kind of section appears once",
                  f"section.code.coding.where(system='{LOINC}').code.isDistinct()"),
    ]),
    el("Composition.identifier", min=1),
    el("Composition.type", short="Discharge summary", patternCodeableConcept=concept(LOINC, "18842-5")),
    el("Composition.subject", min=1, type=ref("emc-patient")),
    el("Composition.encounter", min=1, type=ref("emc-encounter")),
    el("Composition.section", min=1, slicing=slicing("code", "pattern", description="By LOINC section code")),
    *section("Composition", "stay", "8648-8", "Hospital course Narrative", 1, "The stay (hospital course)"),
    *section("Composition", "studies", "11493-4", "Hospital discharge studies summary Narrative", 1, "Studies"),
    *section("Composition", "consultations", "18841-7", "Hospital consultations Document", 1, "Consultations"),
    *section("Composition", "treatment", "29549-3", "Medication administered Narrative", 1, "Treatment"),
    *section("Composition", "recommendations", "8653-8", "Hospital discharge instructions", 1, "Recommendations"),
    *section("Composition", "diagnosis", "11535-2", "Hospital discharge Dx Narrative", 0, "Discharge diagnoses"),
]

LAB_REPORT = [
    el("DiagnosticReport", constraint=[
        invariant("emc-lab-1", "A final, amended or corrected report has results, a conclusion or a presented form",
                  "(status = 'final' or status = 'amended' or status = 'corrected') implies "
                  "(result.exists() or conclusion.exists() or presentedForm.exists())"),
    ]),
    el("DiagnosticReport.identifier", min=1, slicing=slicing("system")),
    *identifier_slice("DiagnosticReport", "labOrder", f"{SID}/lab-order", 1, "The laboratory's order number"),
    *category_slice("DiagnosticReport", "lab", V2_0074, "LAB", "Laboratory"),
    el("DiagnosticReport.subject", min=1, type=ref("emc-patient")),
    el("DiagnosticReport.effective[x]", min=1),
    el("DiagnosticReport.performer", min=1, type=ref("Organization", "Practitioner", "PractitionerRole")),
    el("DiagnosticReport.result", type=ref("emc-lab-observation")),
]

LAB_OBSERVATION = [
    el("Observation", constraint=[
        invariant("emc-lobs-1", "A result has a value or says why it is absent",
                  "value.exists() or dataAbsentReason.exists()"),
        invariant("emc-lobs-2", "A coded unit is a UCUM unit",
                  "value.ofType(Quantity).code.exists() implies "
                  "value.ofType(Quantity).system = 'http://unitsofmeasure.org'"),
    ]),
    el("Observation.identifier", min=1),
    *category_slice("Observation", "laboratory", OBS_CATEGORY, "laboratory", "Laboratory"),
    el("Observation.code.coding", slicing=slicing("system")),
    el("Observation.code.coding:loinc", short="The LOINC code, where one exists", min=0, max="1"),
    el("Observation.code.coding:loinc.system", min=1, fixedUri=LOINC),
    el("Observation.code.coding:loinc.code", min=1),
    el("Observation.subject", min=1, type=ref("emc-patient")),
    el("Observation.effective[x]", min=1),
    el("Observation.value[x]", type=[{"code": c} for c in
                                     ("Quantity", "CodeableConcept", "string", "Range", "Ratio")]),
]

IMAGING_STUDY = [
    el("ImagingStudy", constraint=[
        invariant("emc-img-1", "The Study Instance UID is given as a urn:oid: URI",
                  "identifier.where(system='urn:dicom:uid').value.all(startsWith('urn:oid:'))"),
    ]),
    el("ImagingStudy.identifier", min=1, slicing=slicing("system")),
    *identifier_slice("ImagingStudy", "studyUid", "urn:dicom:uid", 1, "The DICOM Study Instance UID"),
    el("ImagingStudy.modality", min=1, short="CT, MR, MG (mammography), DX (incl. fluorography)...",
       binding=required("emc-imaging-modality")),
    el("ImagingStudy.subject", type=ref("emc-patient")),
    el("ImagingStudy.started", min=1),
]

IMAGING_REPORT = [
    el("DiagnosticReport", constraint=[
        invariant("emc-rad-1", "A final report has the radiologist's conclusion",
                  "status = 'final' implies conclusion.exists()"),
    ]),
    *category_slice("DiagnosticReport", "rad", V2_0074, "RAD", "Radiology"),
    *study_kind_slice("DiagnosticReport", "emc-imaging-study-kind"),
    el("DiagnosticReport.subject", min=1, type=ref("emc-patient")),
    el("DiagnosticReport.effective[x]", min=1),
    el("DiagnosticReport.imagingStudy", min=1, type=ref("emc-imaging-study")),
]

INSTRUMENTAL_REPORT = [
    el("DiagnosticReport", constraint=[
        invariant("emc-ins-1", "An ECG report carries its measurements",
                  f"code.coding.where(system='{LOINC}' and code='11524-6').exists() implies result.exists()"),
    ]),
    el("DiagnosticReport.identifier", min=1, slicing=slicing("system")),
    *identifier_slice("DiagnosticReport", "study", f"{SID}/instrumental-report", 1, "The study number"),
    el("DiagnosticReport.category", min=1),
    el("DiagnosticReport.code", binding=required("emc-instrumental-report-code")),
    *study_kind_slice("DiagnosticReport", "emc-instrumental-study-kind"),
    el("DiagnosticReport.subject", min=1, type=ref("emc-patient")),
    el("DiagnosticReport.effective[x]", min=1),
    el("DiagnosticReport.performer", min=1, type=ref("Organization", "Practitioner", "PractitionerRole")),
    el("DiagnosticReport.result", type=ref("Observation")),
    el("DiagnosticReport.conclusion", min=1),
]

#: id, base type, title, description, differential
PROFILES: list[tuple[str, str, str, str, list[dict[str, Any]]]] = [
    ("emc-patient", "Patient", "EMC Patient",
     "A Moscow resident with a card: the MHI policy number is required, SNILS and passport optional.", PATIENT),
    ("kinship-verified", "Extension", "EMC kinship verified",
     "Whether a guardian's kinship with the child was verified.", KINSHIP_EXTENSION),
    ("emc-guardian", "RelatedPerson", "EMC guardian",
     "A parent or legal guardian of a child under 15, with the verification of the kinship.", GUARDIAN),
    ("emc-encounter", "Encounter", "EMC Encounter",
     "A clinic visit (AMB), a hospital stay (IMP) or an ambulance call (EMER).", ENCOUNTER),
    ("emc-condition", "Condition", "EMC diagnosis",
     "A diagnosis coded in ICD-10.", CONDITION),
    ("emc-exam-protocol", "Composition", "EMC examination protocol",
     "A clinic examination protocol: complaints, anamnesis, examination, diagnosis, recommendations.",
     EXAM_PROTOCOL),
    ("emc-discharge-summary", "Composition", "EMC discharge summary",
     "A hospital discharge summary (epicrisis) with its required sections: the stay, studies, consultations, "
     "treatment and recommendations.", DISCHARGE),
    ("emc-lab-report", "DiagnosticReport", "EMC laboratory report",
     "A laboratory order's report (category LAB) with its results.", LAB_REPORT),
    ("emc-lab-observation", "Observation", "EMC laboratory result",
     "One laboratory result, LOINC-coded where a LOINC code exists.", LAB_OBSERVATION),
    ("emc-imaging-study", "ImagingStudy", "EMC imaging study",
     "A radiology study (CT, MRI, mammography, fluorography...).", IMAGING_STUDY),
    ("emc-imaging-report", "DiagnosticReport", "EMC imaging report",
     "The radiologist's report on an imaging study (category RAD) with the conclusion.", IMAGING_REPORT),
    ("emc-instrumental-report", "DiagnosticReport", "EMC instrumental study report",
     "An instrumental study report (ECG, endoscopy) with the conclusion and measurements.", INSTRUMENTAL_REPORT),
]

# -- terminology -------------------------------------------------------------------------

CODE_SYSTEMS: list[dict[str, Any]] = [
    {"id": "emc-study-kind", "title": "EMC kinds of diagnostic study",
     "description": "The kinds of imaging and instrumental studies the EMC keeps.",
     "concept": [
         {"code": "ct", "display": "Computed tomography (КТ)"},
         {"code": "mri", "display": "Magnetic resonance imaging (МРТ)"},
         {"code": "mammography", "display": "Mammography (маммография)"},
         {"code": "fluorography", "display": "Fluorography (флюорография)"},
         {"code": "radiography", "display": "Radiography (рентгенография)"},
         {"code": "ecg", "display": "Electrocardiography (ЭКГ)"},
         {"code": "endoscopy", "display": "Endoscopy (эндоскопия)"},
     ]},
]


def _codes(system: str, *pairs: tuple[str, str]) -> dict[str, Any]:
    return {"system": system, "concept": [{"code": c, "display": d} for c, d in pairs]}


VALUE_SETS: list[dict[str, Any]] = [
    {"id": "emc-encounter-class", "title": "EMC encounter classes",
     "description": "Clinic visit, hospital stay, ambulance call.",
     "include": [_codes(ACT_CODE, ("AMB", "ambulatory"), ("IMP", "inpatient encounter"), ("EMER", "emergency"))]},
    {"id": "emc-guardian-relationship", "title": "EMC guardian relationships",
     "description": "Who may act for a child under 15: parents, adoptive parents and legal guardians.",
     "include": [_codes(ROLE_CODE, ("MTH", "mother"), ("FTH", "father"), ("PRN", "parent"),
                        ("ADOPTM", "adoptive mother"), ("ADOPTF", "adoptive father"),
                        ("ADOPTP", "adoptive parent"), ("GUARD", "guardian"))]},
    {"id": "emc-icd10", "title": "ICD-10 diagnoses",
     "description": "Any ICD-10 code: diagnoses of the EMC are coded in ICD-10.",
     "include": [{"system": ICD10}]},
    {"id": "emc-imaging-modality", "title": "EMC imaging modalities",
     "description": "DICOM acquisition modalities (PS3.16 CID 29) of the studies the EMC receives.",
     "include": [_codes(DCM, ("CT", "Computed Tomography"), ("MR", "Magnetic Resonance"), ("MG", "Mammography"),
                        ("DX", "Digital Radiography"), ("CR", "Computed Radiography"), ("US", "Ultrasound"),
                        ("PT", "Positron emission tomography"), ("NM", "Nuclear Medicine"),
                        ("XA", "X-Ray Angiography"), ("RF", "Radio Fluoroscopy"), ("OT", "Other"))]},
    {"id": "emc-imaging-study-kind", "title": "EMC imaging study kinds",
     "description": "CT, MRI, mammography, fluorography and plain radiography.",
     "include": [_codes(cs_url("emc-study-kind"), ("ct", "Computed tomography (КТ)"),
                        ("mri", "Magnetic resonance imaging (МРТ)"), ("mammography", "Mammography (маммография)"),
                        ("fluorography", "Fluorography (флюорография)"),
                        ("radiography", "Radiography (рентгенография)"))]},
    {"id": "emc-instrumental-study-kind", "title": "EMC instrumental study kinds",
     "description": "ECG and endoscopy.",
     "include": [_codes(cs_url("emc-study-kind"), ("ecg", "Electrocardiography (ЭКГ)"),
                        ("endoscopy", "Endoscopy (эндоскопия)"))]},
    {"id": "emc-instrumental-report-code", "title": "EMC instrumental report codes",
     "description": "LOINC codes of the instrumental study reports.",
     "include": [_codes(LOINC, ("11524-6", "EKG study"), ("18751-8", "Endoscopy study"))]},
    {"id": "emc-exam-protocol-sections", "title": "EMC examination protocol sections",
     "description": "LOINC section codes of an examination protocol.",
     "include": [_codes(LOINC, ("10154-3", "Chief complaint Narrative - Reported"),
                        ("10164-2", "History of Present illness Narrative"), ("29545-1", "Physical findings Narrative"),
                        ("29548-5", "Diagnosis Narrative"), ("18776-5", "Plan of care note"))]},
    {"id": "emc-discharge-summary-sections", "title": "EMC discharge summary sections",
     "description": "LOINC section codes of a discharge summary.",
     "include": [_codes(LOINC, ("8648-8", "Hospital course Narrative"),
                        ("11493-4", "Hospital discharge studies summary Narrative"),
                        ("18841-7", "Hospital consultations Document"),
                        ("29549-3", "Medication administered Narrative"),
                        ("8653-8", "Hospital discharge instructions"),
                        ("11535-2", "Hospital discharge Dx Narrative"))]},
]


def _common(resource_type: str, rid: str, title: str, description: str) -> dict[str, Any]:
    return {
        "resourceType": resource_type, "id": rid,
        "url": f"{BASE}/{resource_type}/{rid}", "version": VERSION,
        "name": "".join(part.capitalize() for part in rid.split("-")),
        "title": title, "status": "active", "experimental": False, "date": DATE, "publisher": PUBLISHER,
        "description": description, "jurisdiction": RUSSIA,
    }


def code_system(spec: dict[str, Any]) -> dict[str, Any]:
    out = _common("CodeSystem", spec["id"], spec["title"], spec["description"])
    out |= {"caseSensitive": True, "valueSet": vs_url(spec["id"]), "content": "complete",
            "count": len(spec["concept"]), "concept": spec["concept"]}
    return out


def value_set(spec: dict[str, Any]) -> dict[str, Any]:
    out = _common("ValueSet", spec["id"], spec["title"], spec["description"])
    out["immutable"] = False
    out["compose"] = {"include": spec["include"]}
    return out


def structure_definition(rid: str, rtype: str, title: str, description: str,
                         differential: list[dict[str, Any]], definitions: Path) -> dict[str, Any]:
    out = _common("StructureDefinition", rid, title, description)
    extension = rtype == "Extension"
    out |= {
        "fhirVersion": "4.0.1",
        "kind": "complex-type" if extension else "resource",
        "abstract": False,
    }
    if extension:
        out["context"] = [{"type": "element", "expression": "RelatedPerson"}]
    out |= {"type": rtype, "baseDefinition": f"{FHIR_SD}/{rtype}", "derivation": "constraint",
            "differential": {"element": differential}}
    snapshot = generate(out, base_definition(definitions, rtype), lambda code: datatype(definitions, code))
    out["snapshot"] = {"element": snapshot}
    out["differential"] = out.pop("differential")  # snapshot first, then differential, as published
    return out


# -- base definitions --------------------------------------------------------------------

_TYPES: dict[str, dict[str, Any]] = {}


def datatype(definitions: Path, code: str) -> dict[str, Any] | None:
    if not _TYPES:
        bundle = json.loads((definitions / "profiles-types.json").read_text(encoding="utf-8"))
        _TYPES.update({e["resource"]["id"]: e["resource"] for e in bundle["entry"]})
    return _TYPES.get(code)


def base_definition(definitions: Path, rtype: str) -> dict[str, Any]:
    path = definitions / "structuredefinitions" / f"StructureDefinition-{rtype}.json"
    if path.exists():
        definition: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return definition
    found = datatype(definitions, rtype)
    if found is None:
        raise SystemExit(f"no base definition of {rtype} in {definitions}")
    return found


def build(definitions: Path) -> dict[str, dict[str, Any]]:
    """Every generated resource by file name."""
    out: dict[str, dict[str, Any]] = {}
    for rid, rtype, title, description, differential in PROFILES:
        out[f"StructureDefinition-{rid}.json"] = structure_definition(
            rid, rtype, title, description, differential, definitions)
    for spec in CODE_SYSTEMS:
        out[f"CodeSystem-{spec['id']}.json"] = code_system(spec)
    for spec in VALUE_SETS:
        out[f"ValueSet-{spec['id']}.json"] = value_set(spec)
    return out


def render(resource: dict[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    from bench.shared_data import shared_dir

    definitions = Path(sys.argv[1]) if len(sys.argv) > 1 else shared_dir() / "fhir-r4" / "definitions"
    folder = REPO / "profiles"
    for name, resource in build(definitions).items():
        (folder / name).write_text(render(resource), encoding="utf-8")
        print(folder / name)


if __name__ == "__main__":
    main()
