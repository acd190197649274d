"""Every EMC profile: its valid instance conforms, and each rule, broken alone, gives exactly the
expected issues (code and FHIRPath location)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fhir_server.profiles import profile_issues
from fhir_server.profiles.registry import emc_profiles
from fhir_server.validation import validate_structure
from tests.profiles.instances import KINSHIP, SID, VALID, P, cc, valid

Mutation = Callable[[dict[str, Any]], None]


def test_every_profile_has_a_valid_instance():
    assert {sd["id"] for sd in emc_profiles()} == set(VALID)


@pytest.mark.parametrize("profile", sorted(VALID))
def test_valid_instance_conforms(profile):
    resource = valid(profile)
    assert validate_structure(resource) == []
    assert [i.to_json() for i in profile_issues(resource, [P + profile])] == []


def _set(path: str, value: Any) -> Mutation:
    def mutate(resource: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = resource
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is DELETE:
            del node[int(last) if last.isdigit() else last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return mutate


def _do(*mutations: Mutation) -> Mutation:
    def mutate(resource: dict[str, Any]) -> None:
        for m in mutations:
            m(resource)
    return mutate


def _append(path: str, value: Any) -> Mutation:
    def mutate(resource: dict[str, Any]) -> None:
        node: Any = resource
        for part in path.split("."):
            node = node[int(part)] if part.isdigit() else node[part]
        node.append(value)
    return mutate


DELETE = object()
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"

# (profile, rule, mutation, expected {(code, expression)})
CASES: list[tuple[str, str, Mutation, set[tuple[str, str]]]] = [
    ("emc-patient", "MHI number required", _set("identifier.0", DELETE), {("required", "Patient.identifier")}),
    ("emc-patient", "MHI number once", _append("identifier", {"system": SID + "mhi", "value": "7700000000000027"}),
     {("structure", "Patient.identifier")}),
    ("emc-patient", "MHI 16 digits", _set("identifier.0.value", "770000000000001"), {("invariant", "Patient")}),
    ("emc-patient", "SNILS 11 digits", _set("identifier.1.value", "112-233-445 95"), {("invariant", "Patient")}),
    ("emc-patient", "passport 10 digits", _set("identifier.2.value", "45 10 123456"), {("invariant", "Patient")}),
    ("emc-patient", "slice value required", _set("identifier.1", {"system": SID + "snils",
                                                                  "extension": [{"url": "x", "valueString": "y"}]}),
     {("required", "Patient.identifier[1].value")}),
    ("emc-patient", "name required", _set("name", DELETE), {("required", "Patient.name")}),
    ("emc-patient", "gender required", _set("gender", DELETE), {("required", "Patient.gender")}),
    ("emc-patient", "birthDate required", _set("birthDate", DELETE), {("required", "Patient.birthDate")}),
    ("emc-guardian", "kinship extension required", _do(_set("extension", DELETE), _set("active", False)),
     {("required", "RelatedPerson.extension")}),
    ("emc-guardian", "active guardian verified", _set("extension.0.valueBoolean", False),
     {("invariant", "RelatedPerson")}),
    ("emc-guardian", "kinship value is boolean", _do(_set("active", False),
                                                     _set("extension.0", {"url": KINSHIP, "valueString": "yes"})),
     {("structure", "RelatedPerson.extension[0].value"), ("required", "RelatedPerson.extension[0].value")}),
    ("emc-guardian", "relationship bound", _set("relationship.0", cc("http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                                                     "FRND")),
     {("code-invalid", "RelatedPerson.relationship[0]")}),
    ("emc-guardian", "relationship required", _set("relationship", DELETE), {("required", "RelatedPerson.relationship")}),
    ("emc-guardian", "patient reference", _set("patient", {"reference": "Practitioner/x"}),
     {("invalid", "RelatedPerson.patient.reference")}),
    ("emc-guardian", "name required", _set("name", DELETE), {("required", "RelatedPerson.name")}),
    ("emc-encounter", "class bound", _set("class.code", "HH"), {("code-invalid", "Encounter.class")}),
    ("emc-encounter", "subject required", _set("subject", DELETE), {("required", "Encounter.subject")}),
    ("emc-encounter", "subject is a patient", _set("subject", {"reference": "Group/g"}),
     {("invalid", "Encounter.subject.reference")}),
    ("emc-encounter", "period start", _set("period.start", DELETE), {("required", "Encounter.period.start")}),
    ("emc-encounter", "finished stay ends", _set("period.end", DELETE), {("invariant", "Encounter")}),
    ("emc-encounter", "identifier required", _set("identifier", DELETE), {("required", "Encounter.identifier")}),
    ("emc-encounter", "service provider", _set("serviceProvider", DELETE), {("required", "Encounter.serviceProvider")}),
    ("emc-condition", "ICD-10 coding required", _set("code.coding.0.system", "http://snomed.info/sct"),
     {("required", "Condition.code.coding")}),
    ("emc-condition", "ICD-10 Latin letters", _set("code.coding.0.code", "І11.9"), {("invariant", "Condition")}),
    ("emc-condition", "category required", _set("category", DELETE), {("required", "Condition.category")}),
    ("emc-condition", "subject is a patient", _set("subject", {"reference": "Group/g"}),
     {("invalid", "Condition.subject.reference")}),
    ("emc-exam-protocol", "document type", _set("type", cc(LOINC, "11506-3")), {("value", "Composition.type")}),
    ("emc-exam-protocol", "diagnosis section required", _set("section.3", DELETE),
     {("required", "Composition.section")}),
    ("emc-exam-protocol", "diagnoses listed", _set("section.3.entry", DELETE),
     {("required", "Composition.section[3].entry")}),
    ("emc-exam-protocol", "diagnoses are Conditions", _set("section.3.entry.0", {"reference": "Observation/x"}),
     {("invalid", "Composition.section[3].entry[0].reference")}),
    ("emc-exam-protocol", "sections once", _append("section", {"title": "Ещё", "code": cc(LOINC, "10154-3"),
                                                               "text": {"status": "empty", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">-</div>"}}),
     {("structure", "Composition.section"), ("invariant", "Composition")}),
    ("emc-exam-protocol", "encounter required", _set("encounter", DELETE), {("required", "Composition.encounter")}),
    ("emc-exam-protocol", "identifier required", _set("identifier", DELETE), {("required", "Composition.identifier")}),
    ("emc-discharge-summary", "consultations required", _set("section.2", DELETE),
     {("required", "Composition.section")}),
    ("emc-discharge-summary", "document type", _set("type", cc(LOINC, "34108-1")), {("value", "Composition.type")}),
    ("emc-discharge-summary", "encounter is an Encounter", _set("encounter", {"reference": "EpisodeOfCare/x"}),
     {("invalid", "Composition.encounter.reference")}),
    ("emc-lab-report", "category LAB", _set("category.0", cc("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD")),
     {("required", "DiagnosticReport.category")}),
    ("emc-lab-report", "order number", _set("identifier.0.system", SID + "visit"),
     {("required", "DiagnosticReport.identifier")}),
    ("emc-lab-report", "effective required", _set("effectiveDateTime", DELETE),
     {("required", "DiagnosticReport.effective")}),
    ("emc-lab-report", "final has results", _set("result", DELETE), {("invariant", "DiagnosticReport")}),
    ("emc-lab-report", "results are Observations", _set("result.0", {"reference": "Patient/p1"}),
     {("invalid", "DiagnosticReport.result[0].reference")}),
    ("emc-lab-report", "performer required", _set("performer", DELETE), {("required", "DiagnosticReport.performer")}),
    ("emc-lab-observation", "value or reason", _set("valueQuantity", DELETE), {("invariant", "Observation")}),
    ("emc-lab-observation", "UCUM units", _set("valueQuantity.system", "urn:local:units"),
     {("invariant", "Observation")}),
    ("emc-lab-observation", "value types", _do(_set("valueQuantity", DELETE), _set("valueBoolean", True)),
     {("structure", "Observation.value")}),
    ("emc-lab-observation", "category laboratory",
     _set("category.0", cc("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")),
     {("required", "Observation.category")}),
    ("emc-lab-observation", "one LOINC code", _append("code.coding", {"system": LOINC, "code": "20509-6"}),
     {("structure", "Observation.code.coding")}),
    ("emc-lab-observation", "effective required", _set("effectiveDateTime", DELETE),
     {("required", "Observation.effective")}),
    ("emc-lab-observation", "subject required", _set("subject", DELETE), {("required", "Observation.subject")}),
    ("emc-imaging-study", "modality bound", _set("modality.0.code", "SR"), {("code-invalid", "ImagingStudy.modality[0]")}),
    ("emc-imaging-study", "study UID required", _set("identifier.0.system", SID + "accession"),
     {("required", "ImagingStudy.identifier")}),
    ("emc-imaging-study", "UID as urn:oid", _set("identifier.0.value", "2.25.1964077957809671"),
     {("invariant", "ImagingStudy")}),
    ("emc-imaging-study", "started required", _set("started", DELETE), {("required", "ImagingStudy.started")}),
    ("emc-imaging-report", "imaging study kind", _set("code.coding.1.code", "ecg"),
     {("code-invalid", "DiagnosticReport.code.coding[1]")}),
    ("emc-imaging-report", "imaging study required", _set("imagingStudy", DELETE),
     {("required", "DiagnosticReport.imagingStudy")}),
    ("emc-imaging-report", "conclusion of a final report", _set("conclusion", DELETE),
     {("invariant", "DiagnosticReport")}),
    ("emc-imaging-report", "imaging study reference", _set("imagingStudy.0", {"reference": "Observation/o"}),
     {("invalid", "DiagnosticReport.imagingStudy[0].reference")}),
    ("emc-imaging-report", "category RAD", _set("category.0", cc("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB")),
     {("required", "DiagnosticReport.category")}),
    ("emc-instrumental-report", "report code bound", _set("code.coding.0.code", "18748-4"),
     {("code-invalid", "DiagnosticReport.code")}),
    ("emc-instrumental-report", "ECG measurements", _set("result", DELETE), {("invariant", "DiagnosticReport")}),
    ("emc-instrumental-report", "conclusion required", _set("conclusion", DELETE),
     {("required", "DiagnosticReport.conclusion")}),
    ("emc-instrumental-report", "study number", _set("identifier.0.system", SID + "visit"),
     {("required", "DiagnosticReport.identifier")}),
]


@pytest.mark.parametrize("profile,rule,mutate,expected", CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_each_rule_breaks_alone(profile, rule, mutate, expected):
    resource = valid(profile)
    mutate(resource)
    assert validate_structure(resource) == [], "the mutation must keep the base structure valid"
    issues = profile_issues(resource, [P + profile])
    assert {(i.code, i.expression[0]) for i in issues} == expected, [i.to_json() for i in issues]
    assert len(issues) == len(expected)
    assert all(i.diagnostics for i in issues)


def test_every_profile_has_broken_rules():
    assert {c[0] for c in CASES} == set(VALID)


def test_invariant_messages_name_their_key():
    resource = valid("emc-patient")
    resource["identifier"][0]["value"] = "1"
    [issue] = profile_issues(resource, [P + "emc-patient"])
    assert issue.diagnostics.startswith("emc-pat-1: ")


def test_a_profile_of_another_type_is_an_issue():
    [issue] = profile_issues(valid("emc-patient"), [P + "emc-encounter"])
    assert issue.code == "invalid"


def test_an_unknown_emc_profile_is_an_issue():
    [issue] = profile_issues(valid("emc-patient"), [P + "emc-nothing"])
    assert issue.code == "not-supported"
