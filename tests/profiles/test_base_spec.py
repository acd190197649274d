"""The profile validator, run with the official R4 StructureDefinitions as profiles, accepts the
official examples and the Synthea patients: cardinality, fixed/pattern values, the required
bindings the official value sets enumerate, and reference target types of the base spec."""

from __future__ import annotations

import json
from functools import cache

import pytest

from fhir_server.profiles.registry import FHIR_BASE_SD, Registry, load_folder
from fhir_server.profiles.validator import validate
from tests.conftest import EXAMPLES_DIR, SHARED, SYNTHEA_DEV

DEFINITIONS = SHARED / "fhir-r4" / "definitions"

#: Errors in the official examples themselves (the reference target types of the base spec).
KNOWN = {
    "MedicationRequest-medrx0301": [("invalid", "MedicationRequest.dispenseRequest.performer.reference")],
    "Observation-clinical-gender": [("invalid", "Observation.performer[0].reference")],
}


@cache
def base_registry() -> Registry:
    registry = Registry(load_folder(DEFINITIONS / "structuredefinitions"))
    registry.add_bundle(json.loads((DEFINITIONS / "valuesets.json").read_text(encoding="utf-8")))
    registry.add_bundle(json.loads((DEFINITIONS / "v3-codesystems.json").read_text(encoding="utf-8")))
    return registry


def _types() -> set[str]:
    return {sd["type"] for sd in base_registry().of_type("StructureDefinition")}


EXAMPLES = sorted(p for p in EXAMPLES_DIR.glob("*.json") if not p.name.startswith("_"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_official_example_validates_against_base(path):
    resource = json.loads(path.read_text(encoding="utf-8"))
    assert resource["resourceType"] in _types()
    issues = validate(resource, FHIR_BASE_SD + resource["resourceType"], base_registry())
    assert [(i.code, i.expression[0]) for i in issues] == KNOWN.get(path.stem, [])


def _resolved(bundle: dict) -> dict:
    """Bundle-local ``urn:uuid`` references as ``Type/id``, so that target types can be checked."""
    text = json.dumps(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        text = text.replace(f'"{entry["fullUrl"]}"', f'"{resource["resourceType"]}/{resource["id"]}"')
    return json.loads(text)


@pytest.mark.parametrize("path", sorted(SYNTHEA_DEV.glob("*.json")), ids=lambda p: p.stem.split("_")[0])
def test_synthea_patient_validates_against_base(path):
    bundle = _resolved(json.loads(path.read_text(encoding="utf-8")))
    checked = 0
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] not in _types():
            continue  # Claim and ExplanationOfBenefit: no base definition in ../shared
        checked += 1
        issues = validate(resource, FHIR_BASE_SD + resource["resourceType"], base_registry())
        assert issues == [], (resource["resourceType"], [i.to_json() for i in issues])
    assert checked > 10


def test_the_base_validator_catches_base_rules():
    """The same walk reports base rules: a required binding, a cardinality, a reference target."""
    patient = {"resourceType": "Patient", "gender": "unknown-ish", "link": [{"type": "seealso"}],
               "generalPractitioner": [{"reference": "Observation/x"}]}
    issues = validate(patient, FHIR_BASE_SD + "Patient", base_registry())
    assert {(i.code, i.expression[0]) for i in issues} == {
        ("code-invalid", "Patient.gender"),
        ("required", "Patient.link[0].other"),
        ("invalid", "Patient.generalPractitioner[0].reference"),
    }
