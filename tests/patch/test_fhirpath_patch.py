"""Our own FHIRPath Patch cases (http://hl7.org/fhir/R4/fhirpatch.html) beyond the official ones."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fhir_server.errors import BadRequest, UnprocessableEntity
from fhir_server.patch import apply_fhirpath_patch

BIRTH_TIME = "http://hl7.org/fhir/StructureDefinition/patient-birthTime"
PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "identifier": [
        {"system": "urn:snils", "value": "112-233-445 95"},
        {"system": "urn:oms", "value": "7700000000000001"},
    ],
    "name": [{"family": "Иванов", "given": ["Иван", "Иванович"], "_given": [None, {"id": "g2"}]}],
    "gender": "male",
    "birthDate": "1980-02-03",
    "_birthDate": {
        "extension": [{"url": BIRTH_TIME, "valueDateTime": "1980-02-03T04:05:00+03:00"}]
    },
    "deceasedBoolean": False,
}


def op(type_: str | None, path: str | None = None, **parts: Any) -> list[dict[str, Any]]:
    """The parts of one operation: ``value_Date="x"`` -> ``{"name": "value", "valueDate": "x"}``."""
    out: list[dict[str, Any]] = []
    if type_ is not None:
        out.append({"name": "type", "valueCode": type_})
    if path is not None:
        out.append({"name": "path", "valueString": path})
    for key, value in parts.items():
        name, _, kind = key.partition("_")
        if kind == "parts":
            out.append({"name": name, "part": value})
        elif kind == "resource":
            out.append({"name": name, "resource": value})
        else:
            out.append({"name": name, f"value{kind or 'String'}": value})
    return out


def params(*operations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "operation", "part": parts} for parts in operations],
    }


def patch(
    *operations: list[dict[str, Any]], resource: dict[str, Any] | None = None
) -> dict[str, Any]:
    original = copy.deepcopy(resource or PATIENT)
    given = copy.deepcopy(original)
    result = apply_fhirpath_patch(given, params(*operations))
    assert given == original, "the input resource must not be mutated"
    return result


# --- Cyrillic -------------------------------------------------------------------------------------


def test_cyrillic_replace_add_and_where() -> None:
    result = patch(
        op("replace", "Patient.name.where(family = 'Иванов').family", value="Петров-Водкин"),
        op("add", "Patient.name[0]", name="prefix", value="тов."),
        op("insert", "Patient.name[0].given", index_Integer=0, value="Кузьма"),
        op(
            "add",
            "Patient",
            name="address",
            value_parts=[{"name": "city", "valueString": "Москва"}],
        ),
    )
    assert result["name"] == [
        {
            "family": "Петров-Водкин",
            "given": ["Кузьма", "Иван", "Иванович"],
            "_given": [None, None, {"id": "g2"}],
            "prefix": ["тов."],
        }
    ]
    assert result["address"] == [{"city": "Москва"}]


# --- id and resourceType --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        op("replace", "Patient.id", value_Id="p2"),
        op("delete", "Patient.id"),
    ],
    ids=["replace id", "delete id"],
)
def test_changing_id_is_422(operation: list[dict[str, Any]]) -> None:
    with pytest.raises(UnprocessableEntity):
        patch(operation)


def test_adding_an_id_is_422() -> None:
    without_id = {k: v for k, v in PATIENT.items() if k != "id"}
    with pytest.raises(UnprocessableEntity):
        patch(op("add", "Patient", name="id", value_Id="p9"), resource=without_id)


def test_id_replaced_by_itself_is_fine() -> None:
    assert patch(op("replace", "Patient.id", value_Id="p1")) == PATIENT


# --- malformed Parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        params(op(None, "Patient.gender", value_Code="female")),
        params(op("replace", None, value_Code="female")),
        params(op("replace", "", value_Code="female")),
        params(op("upsert", "Patient.gender", value_Code="female")),
        params(op("replace", "Patient.gender")),
        params(op("add", "Patient", value_Code="female")),
        params(op("insert", "Patient.identifier", value_Identifier={"value": "x"})),
        params(op("move", "Patient.identifier", source_Integer=0)),
        params(op("move", "Patient.identifier", source_Integer=0, destination_Integer=-1)),
        params(op("move", "Patient.identifier", source_Integer=0, destination_String="1")),
        params(op("replace", "Patient.gender", value_Code="female", colour="red")),
        params(op("replace", "Patient.gender", value_Code="female") + op("delete")),
        params(op("replace", "Patient.gender", value_Code="female", value_parts=[])),
        params(op("replace", "Patient.name[", value="x")),
        params(op("replace", "Patient.name.resolve()", value="x")),
        {
            "resourceType": "Parameters",
            "parameter": [{"name": "op", "part": op("delete", "Patient.gender")}],
        },
        {"resourceType": "Parameters", "parameter": [{"name": "operation"}]},
        {"resourceType": "Parameters", "parameter": {"name": "operation"}},
        {"resourceType": "Patient"},
        [],
    ],
    ids=[
        "no type",
        "no path",
        "empty path",
        "unknown type",
        "replace without value",
        "add without name",
        "insert without index",
        "move without destination",
        "negative index",
        "index not integer",
        "unknown part",
        "duplicate part",
        "empty value parts",
        "bad FHIRPath",
        "resolve()",
        "wrong parameter name",
        "no parts",
        "parameter not array",
        "not Parameters",
        "not an object",
    ],
)
def test_malformed_parameters_are_400(body: Any) -> None:
    with pytest.raises(BadRequest):
        apply_fhirpath_patch(copy.deepcopy(PATIENT), body)


def test_a_value_with_two_types_is_400() -> None:
    value = {"name": "value", "valueCode": "female", "valueString": "female"}
    body = params([*op("replace", "Patient.gender"), value])
    with pytest.raises(BadRequest):
        apply_fhirpath_patch(copy.deepcopy(PATIENT), body)


# --- paths matching nothing or too much -----------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        op("replace", "Patient.maritalStatus", value_CodeableConcept={"text": "married"}),
        op("replace", "Patient.identifier.where(system = 'urn:inn').value", value="1"),
        op("replace", "Patient.identifier[5]", value_Identifier={"value": "1"}),
        op("add", "Patient.contact[0]", name="gender", value_Code="male"),
        op("move", "Patient.telecom", source_Integer=0, destination_Integer=0),
    ],
)
def test_path_matching_nothing_is_422(operation: list[dict[str, Any]]) -> None:
    with pytest.raises(UnprocessableEntity):
        patch(operation)


@pytest.mark.parametrize(
    "operation",
    [
        op("replace", "Patient.identifier.value", value="1"),
        op("delete", "Patient.identifier"),
        op("add", "Patient.identifier", name="use", value_Code="official"),
        op("replace", "Patient.name.given", value="Пётр"),
    ],
)
def test_path_matching_several_is_422(operation: list[dict[str, Any]]) -> None:
    with pytest.raises(UnprocessableEntity):
        patch(operation)


def test_delete_of_nothing_is_a_no_op() -> None:
    """fhirpatch.html: delete takes the "Path of the element to delete (if found)"."""
    assert patch(op("delete", "Patient.maritalStatus")) == PATIENT


def test_computed_path_is_422() -> None:
    with pytest.raises(UnprocessableEntity):
        patch(op("replace", "Patient.name.given.count()", value_Integer=1))
