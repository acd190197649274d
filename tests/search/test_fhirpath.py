"""The FHIRPath subset compiler: shapes of the official expressions, and the fallback."""

from __future__ import annotations

import pytest

from fhir_server.search.fhirpath import compile_expression, compile_fast, compile_fhirpathpy, fhirpathpy_text

OBSERVATION = {
    "resourceType": "Observation",
    "subject": {"reference": "Patient/1"},
    "performer": [{"reference": "Practitioner/2"}, {"reference": "Patient/1"}],
    "effectivePeriod": {"start": "2019-01-01"},
    "valueQuantity": {"value": 3, "unit": "kg"},
    "component": [
        {"code": {"text": "a"}, "valueQuantity": {"value": 1}},
        {"code": {"text": "b"}, "valueCodeableConcept": {"text": "c"}},
    ],
    "extension": [
        {"url": "http://ext/a", "valueString": "one"},
        {"url": "http://ext/b", "valueCoding": {"code": "two"}},
    ],
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Observation.subject", [{"reference": "Patient/1"}]),
        ("Observation.effective", [{"start": "2019-01-01"}]),
        ("(Observation.value as Quantity)", [{"value": 3, "unit": "kg"}]),
        ("Observation.value.as(Quantity).unit", ["kg"]),
        ("Observation.value.ofType(CodeableConcept)", []),
        ("(Observation.component.value as Quantity)", [{"value": 1}]),
        ("(Observation.component.value as CodeableConcept).text", ["c"]),
        ("Observation.component.code.text | Observation.subject.reference", ["a", "b", "Patient/1"]),
        ("Observation.performer.where(resolve() is Patient)", [{"reference": "Patient/1"}]),
        ("Observation.performer[0].reference", ["Practitioner/2"]),
        ("Observation.extension('http://ext/b').value.as(Coding).code", ["two"]),
        ("Observation.extension.where(url='http://ext/a').value", ["one"]),
        ("Observation.component.code.where(text='b').text", ["b"]),
        ("Observation.nothing", None),
    ],
)
def test_shapes(expression: str, expected: list | None) -> None:
    fast = compile_fast(expression, "Observation")
    if expected is None:
        assert fast is None
        return
    assert fast is not None
    assert fast(OBSERVATION) == expected
    assert compile_fhirpathpy(expression)(OBSERVATION) == expected


def test_unsupported_shapes_fall_back_to_fhirpathpy() -> None:
    nested = "Observation.component.where(code.text='b').value.as(CodeableConcept).text"
    assert compile_fast(nested, "Observation") is None
    assert compile_expression(nested, "Observation")(OBSERVATION) == ["c"]
    expression = "Patient.deceased.exists() and Patient.deceased != false"
    assert compile_fast(expression, "Patient") is None
    evaluate = compile_expression(expression, "Patient")
    assert evaluate({"resourceType": "Patient", "deceasedDateTime": "2020"}) == [True]
    assert evaluate({"resourceType": "Patient"}) == [False]


def test_another_root_is_not_compiled() -> None:
    assert compile_fast("Patient.name", "Observation") is None


def test_fhirpathpy_rewrites() -> None:
    assert fhirpathpy_text("(A.b as Quantity) | A.c.as(Age) | A.d.where(resolve() is Patient)") == (
        "(A.b.ofType(Quantity)) | A.c.ofType(Age) | A.d.where(isReferenceTo('Patient'))"
    )
