"""Invalid resources: each problem is reported with its issue code and FHIRPath location."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fhir_server.errors import InvalidResource, Issue
from fhir_server.validation import check_resource, validate_structure

OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "bp1",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2020-05-01T10:00:00+03:00",
    "valueQuantity": {"value": 120, "unit": "mmHg", "comparator": "<"},
}
PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "name": [{"family": "Ivanov", "given": ["Ivan", "Ivanovich"]}],
    "gender": "male",
    "birthDate": "1980-02-29",
    "contact": [{"gender": "female", "name": {"text": "Maria"}}],
}


def changed(base: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with ``value`` at ``path`` (``...`` deletes the key)."""
    out = copy.deepcopy(base)
    node = out
    for step in path[:-1]:
        node = node[step]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def located(issues: list[Issue]) -> list[tuple[str, str]]:
    return [(i.code, i.expression[0]) for i in issues]


def test_the_fixtures_are_valid() -> None:
    assert validate_structure(OBSERVATION) == []
    assert validate_structure(PATIENT) == []


CASES = [
    # required bindings: resource, datatype, backbone element, list of codes
    ("bad status code", OBSERVATION, ["status"], "done", "code-invalid", "Observation.status"),
    ("bad code in a datatype", OBSERVATION, ["valueQuantity", "comparator"], "~", "code-invalid",
     "Observation.valueQuantity.comparator"),
    ("bad gender", PATIENT, ["gender"], "M", "code-invalid", "Patient.gender"),
    ("bad code in a backbone", PATIENT, ["contact", 0, "gender"], "woman", "code-invalid",
     "Patient.contact[0].gender"),
    ("bad name use", PATIENT, ["name", 0, "use"], "alias", "code-invalid", "Patient.name[0].use"),
    # unknown elements
    ("unknown element", PATIENT, ["nickname"], "Vanya", "structure", "Patient.nickname"),
    ("unknown nested element", PATIENT, ["name", 0, "middle"], "I.", "structure", "Patient.name[0].middle"),
    ("python field name", OBSERVATION, ["status__ext"], {"id": "a"}, "structure", "Observation.status__ext"),
    ("fhir_comments is not R4", PATIENT, ["fhir_comments"], ["hi"], "structure", "Patient.fhir_comments"),
    # wrong JSON types
    ("string where an array is expected", PATIENT, ["name"], "Ivanov", "structure", "Patient.name"),
    ("string where an array is expected, nested", PATIENT, ["name", 0, "given"], "Ivan", "structure",
     "Patient.name[0].given"),
    ("object where a string is expected", PATIENT, ["gender"], {"code": "male"}, "structure", "Patient.gender"),
    ("object where a string is expected, in a list", PATIENT, ["name", 0, "given", 1], {"x": 1}, "structure",
     "Patient.name[0].given[1]"),
    ("number where a string is expected", OBSERVATION, ["subject", "reference"], 42, "structure",
     "Observation.subject.reference"),
    ("string where a boolean is expected", PATIENT, ["active"], "true", "structure", "Patient.active"),
    ("string where a decimal is expected", OBSERVATION, ["valueQuantity", "value"], "120", "structure",
     "Observation.valueQuantity.value"),
    ("null value", PATIENT, ["gender"], None, "structure", "Patient.gender"),
    ("null in a list of objects", PATIENT, ["name"], [{"family": "I"}, None], "structure", "Patient.name[1]"),
    ("empty array", PATIENT, ["name"], [], "structure", "Patient.name"),
    # primitive formats
    ("month 13", PATIENT, ["birthDate"], "1980-13-01", "value", "Patient.birthDate"),
    ("29 February of a common year", PATIENT, ["birthDate"], "1981-02-29", "value", "Patient.birthDate"),
    ("time in a date", PATIENT, ["birthDate"], "1980-01-01T10:00:00Z", "value", "Patient.birthDate"),
    ("dateTime without a time zone", OBSERVATION, ["effectiveDateTime"], "2020-05-01T10:00:00", "value",
     "Observation.effectiveDateTime"),
    ("number where a date is expected", PATIENT, ["birthDate"], 19800229, "structure", "Patient.birthDate"),
    ("id with a space", PATIENT, ["id"], "p 1", "value", "Patient.id"),
    ("id too long", PATIENT, ["id"], "p" * 65, "value", "Patient.id"),
    ("negative unsignedInt", PATIENT, ["photo"], [{"size": -1}], "value", "Patient.photo[0].size"),
    ("decimal where an integer is expected", PATIENT, ["multipleBirthInteger"], 2.5, "structure",
     "Patient.multipleBirthInteger"),
    # required elements and choices
    ("missing Observation.code", OBSERVATION, ["code"], ..., "required", "Observation.code"),
    ("missing Observation.status", OBSERVATION, ["status"], ..., "required", "Observation.status"),
    ("missing required element of a backbone", OBSERVATION, ["component"], [{"valueString": "x"}], "required",
     "Observation.component[0].code"),
    ("two values of a choice", OBSERVATION, ["valueString"], "high", "invalid", "Observation.value"),
    ("R4B-only choice type", PATIENT, ["extension"],
     [{"url": "http://example.org/x", "valueCodeableReference": {"concept": {"text": "x"}}}], "structure",
     "Patient.extension[0].valueCodeableReference"),
    ("extension without url", PATIENT, ["extension"], [{"valueString": "x"}], "required",
     "Patient.extension[0].url"),
    ("empty primitive extension", PATIENT, ["_gender"], {}, "structure", "Patient.gender"),
]


@pytest.mark.parametrize(("label", "base", "path", "value", "code", "expression"), CASES,
                         ids=[c[0] for c in CASES])
def test_invalid_case_is_located(label: str, base: dict[str, Any], path: list[Any], value: Any, code: str,
                                 expression: str) -> None:
    issues = validate_structure(changed(base, path, value))
    assert located(issues) == [(code, expression)], [i.to_json() for i in issues]
    message = issues[0].diagnostics
    for noise in ("Input should", "Value error", "type=", "pydantic", "FHIRPrimitiveExtension", "HumanName"):
        assert noise not in message


def test_messages_say_what_is_wrong() -> None:
    [status] = validate_structure(changed(OBSERVATION, ["status"], "done"))
    assert "'done'" in status.diagnostics and "'registered'" in status.diagnostics
    [unknown] = validate_structure(changed(PATIENT, ["nickname"], "Vanya"))
    assert unknown.diagnostics == "Unknown element 'nickname'"
    [missing] = validate_structure(changed(OBSERVATION, ["code"], ...))
    assert missing.diagnostics == "Missing required element 'code'"
    [array] = validate_structure(changed(PATIENT, ["name"], "Ivanov"))
    assert array.diagnostics == "Expected an array, got a string"
    [date] = validate_structure(changed(PATIENT, ["birthDate"], "1981-02-29"))
    assert "'1981-02-29'" in date.diagnostics and "FHIR date" in date.diagnostics


def test_all_problems_are_reported_at_once() -> None:
    bad = changed(PATIENT, ["gender"], "M")
    bad = changed(bad, ["birthDate"], "1980-13-01")
    bad["text"] = {"div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}  # Narrative.status missing
    bad["deceasedBoolean"] = True
    bad["deceasedDateTime"] = "2020"
    assert sorted(located(validate_structure(bad))) == [
        ("code-invalid", "Patient.gender"),
        ("invalid", "Patient.deceased"),
        ("required", "Patient.text.status"),
        ("value", "Patient.birthDate"),
    ]


def test_a_required_primitive_may_be_replaced_by_extensions() -> None:
    """R4 lets ``_status`` carry extensions (e.g. data-absent-reason) instead of a value."""
    absent = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                             "valueCode": "unknown"}]}
    assert validate_structure(changed(OBSERVATION, ["status"], ...) | {"_status": absent}) == []
    issues = validate_structure(changed(OBSERVATION, ["status"], ...) | {"_status": {"id": "s"}})
    assert located(issues) == [("required", "Observation.status")]


def test_primitive_arrays_line_up_with_their_extensions() -> None:
    ext = {"extension": [{"url": "http://example.org/x", "valueString": "y"}]}
    ok = changed(PATIENT, ["name", 0, "given"], ["Ivan", None]) | {}
    ok["name"][0]["_given"] = [None, ext]
    assert validate_structure(ok) == []
    bad = copy.deepcopy(ok)
    bad["name"][0]["_given"][1]["extension"][0]["valueString"] = 5
    assert located(validate_structure(bad)) == [("structure", "Patient.name[0].given[1].extension[0].valueString")]


def test_r4_open_types_missing_from_r4b_are_accepted() -> None:
    meta = {"url": "http://example.org/m", "valueMeta": {"versionId": "1"}}
    ext = {"url": "http://example.org/s", "valueString": "x", "_valueString": {"id": "v1"}}
    assert validate_structure(PATIENT | {"extension": [meta, ext]}) == []


def test_resource_type_problems() -> None:
    assert located(validate_structure({"id": "x"})) == [("required", "resourceType")]
    assert located(validate_structure({"resourceType": "Patients"})) == [("structure", "resourceType")]
    assert located(validate_structure({"resourceType": 5})) == [("structure", "resourceType")]
    assert "Patients" in validate_structure({"resourceType": "Patients"})[0].diagnostics
    [not_object] = validate_structure([PATIENT])  # type: ignore[arg-type]
    assert not_object.code == "structure"
    assert not_object.diagnostics == "A resource must be a JSON object, got an array"


def test_nested_resources_are_validated_with_their_own_type() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": PATIENT, "request": {"method": "POST", "url": "Patient"}},
            {"resource": changed(OBSERVATION, ["status"], "done"),
             "request": {"method": "POST", "url": "Observation"}},
            {"resource": {"id": "x"}, "request": {"method": "FETCH", "url": "Patient"}},
            {"response": {"status": "201", "outcome": {"resourceType": "OperationOutcome",
                                                       "issue": [{"severity": "fatal", "code": "nope"}]}}},
        ],
    }
    assert located(validate_structure(bundle)) == [
        ("code-invalid", "Bundle.entry[2].request.method"),
        ("code-invalid", "Bundle.entry[1].resource.status"),
        ("required", "Bundle.entry[2].resource.resourceType"),
        ("code-invalid", "Bundle.entry[3].response.outcome.issue[0].code"),
    ]
    contained = PATIENT | {"contained": [{"resourceType": "Organization", "id": "o", "active": "yes"}],
                           "managingOrganization": {"reference": "#o"}}
    assert located(validate_structure(contained)) == [("structure", "Patient.contained[0].active")]
    params = {"resourceType": "Parameters", "parameter": [
        {"name": "a", "part": [{"name": "b", "resource": {"resourceType": "Basic"}}]}]}
    assert located(validate_structure(params)) == [("required", "Parameters.parameter[0].part[0].resource.code")]


def test_at_locates_a_resource_taken_out_of_a_bundle() -> None:
    issues = validate_structure(changed(OBSERVATION, ["status"], "done"), at="Bundle.entry[4].resource")
    assert located(issues) == [("code-invalid", "Bundle.entry[4].resource.status")]


MEDICINAL_PRODUCT: dict[str, Any] = {
    "resourceType": "MedicinalProduct",
    "id": "mp1",
    "domain": {"system": "http://hl7.org/fhir/medicinal-product-domain", "code": "Human"},
    "name": [{"productName": "Aspirin 100 mg tablets", "countryLanguage": [
        {"country": {"text": "RU"}, "language": {"text": "ru"}}]}],
    "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Aspirin</div>"},
}


def test_r4_only_type_valid() -> None:
    assert validate_structure(MEDICINAL_PRODUCT) == []
    evidence = {"resourceType": "Evidence", "status": "active", "exposureBackground": {"reference": "Group/g1"}}
    assert validate_structure(evidence) == []  # R4 content that the R4B Evidence model rejects


@pytest.mark.parametrize(("path", "value", "code", "expression"), [
    (["name"], ..., "required", "MedicinalProduct.name"),
    (["name", 0, "productName"], 5, "structure", "MedicinalProduct.name[0].productName"),
    (["name", 0, "nick"], "x", "structure", "MedicinalProduct.name[0].nick"),
    (["status"], "active", "structure", "MedicinalProduct.status"),
    (["text", "status"], "made", "code-invalid", "MedicinalProduct.text.status"),
    (["id"], "mp 1", "value", "MedicinalProduct.id"),
    (["name"], [], "value", "MedicinalProduct.name"),
    (["contained"], [{"resourceType": "Patient", "id": "p", "gender": "x",
                      "managingOrganization": {"reference": "#"}}], "code-invalid",
     "MedicinalProduct.contained[0].gender"),
])
def test_r4_only_type_invalid(path: list[Any], value: Any, code: str, expression: str) -> None:
    issues = validate_structure(changed(MEDICINAL_PRODUCT, path, value))
    assert located(issues) == [(code, expression)], [i.to_json() for i in issues]


def test_check_resource_raises_400_with_every_issue() -> None:
    check_resource(PATIENT)
    bad = changed(changed(PATIENT, ["gender"], "M"), ["nickname"], "Vanya")
    with pytest.raises(InvalidResource) as caught:
        check_resource(bad)
    assert caught.value.status == 400
    assert located(caught.value.issues) == [("code-invalid", "Patient.gender"), ("structure", "Patient.nickname")]
    outcome = caught.value.outcome()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["Patient.gender"]
    assert "Patient.gender" in str(caught.value) and "1 more" in str(caught.value)


def test_deep_nesting_is_reported_not_raised() -> None:
    bundle: dict[str, Any] = {"resourceType": "Patient"}
    for _ in range(2000):  # far beyond Python's recursion limit
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": bundle}]}
    assert validate_structure(bundle) == []
    extension: dict[str, Any] = {"url": "http://example.org/x", "valueString": "y"}
    for _ in range(2000):
        extension = {"url": "http://example.org/x", "extension": [extension]}
    for rtype in ("Patient", "MedicinalProduct"):
        issues = validate_structure({"resourceType": rtype, "extension": [extension]})
        assert [(i.code, i.diagnostics) for i in issues] == [
            ("structure", "The resource is nested too deeply to validate")]
