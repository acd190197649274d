"""FHIRPath Patch on the JSON shapes FHIR has: choice types, primitives with extensions, lists,
anonymous (backbone) values given as parts, contained resources (http://hl7.org/fhir/R4/json.html)."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.errors import UnprocessableEntity

from .test_fhirpath_patch import BIRTH_TIME, PATIENT, op, patch

# --- choice types (value[x]) ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["deceased", "deceased[x]", "deceasedDateTime"])
def test_add_choice_element_takes_the_type_suffix(name: str) -> None:
    alive = {k: v for k, v in PATIENT.items() if k != "deceasedBoolean"}
    result = patch(op("add", "Patient", name=name, value_DateTime="2020-01-01"), resource=alive)
    assert result["deceasedDateTime"] == "2020-01-01"


def test_replace_choice_element_may_change_its_type() -> None:
    result = patch(op("replace", "Patient.deceased", value_DateTime="2020-01-01"))
    assert "deceasedBoolean" not in result and result["deceasedDateTime"] == "2020-01-01"


def test_replace_choice_element_same_type() -> None:
    assert patch(op("replace", "Patient.deceased", value_Boolean=True))["deceasedBoolean"] is True


@pytest.mark.parametrize(
    "operation",
    [
        op(
            "add", "Patient", name="deceased", value_DateTime="2020-01-01"
        ),  # deceasedBoolean exists
        op(
            "replace", "Patient.deceased", value="yes"
        ),  # deceasedString is no choice of deceased[x]
        op("add", "Patient", name="gender", value_Code="female"),  # 0..1 and present
        op("add", "Patient", name="colour", value="red"),  # no such element
        op(
            "replace", "Patient.birthDate", value_CodeableConcept={"text": "x"}
        ),  # complex -> primitive
        op("replace", "Patient.name[0]", value="Иван"),  # primitive -> complex
        op("add", "Patient", name="contained", value_Identifier={"value": "x"}),  # not a resource
    ],
)
def test_wrong_place_or_type_is_422(operation: list[dict[str, Any]]) -> None:
    with pytest.raises(UnprocessableEntity):
        patch(operation)


def test_choice_inside_anonymous_parts() -> None:
    observation = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"text": "АД"},
    }
    component = [
        {"name": "code", "valueCodeableConcept": {"text": "систолическое"}},
        {"name": "value", "valueQuantity": {"value": 120, "unit": "мм рт. ст."}},
    ]
    result = patch(
        op("add", "Observation", name="component", value_parts=component), resource=observation
    )
    assert result["component"] == [
        {"code": {"text": "систолическое"}, "valueQuantity": {"value": 120, "unit": "мм рт. ст."}}
    ]


# --- primitives with id / extensions (_x) ---------------------------------------------------------


def test_delete_primitive_deletes_its_extensions() -> None:
    result = patch(op("delete", "Patient.birthDate"))
    assert "birthDate" not in result and "_birthDate" not in result


def test_replace_primitive_replaces_the_whole_element() -> None:
    element = {"name": "value", "valueDate": "1981-01-01", "_valueDate": {"id": "bd"}}
    result = patch([*op("replace", "Patient.birthDate"), element])
    assert result["birthDate"] == "1981-01-01" and result["_birthDate"] == {"id": "bd"}


def test_add_extension_to_a_primitive() -> None:
    extension = [
        {"name": "url", "valueUri": "urn:x"},
        {"name": "value", "valueString": "примечание"},
    ]
    result = patch(op("add", "Patient.gender", name="extension", value_parts=extension))
    assert result["_gender"] == {"extension": [{"url": "urn:x", "valueString": "примечание"}]}


def test_delete_extension_of_a_primitive_drops_the_empty_twin() -> None:
    result = patch(op("delete", f"Patient.birthDate.extension.where(url = '{BIRTH_TIME}')"))
    assert "_birthDate" not in result and result["birthDate"] == PATIENT["birthDate"]


def test_repeating_primitive_twins_stay_aligned() -> None:
    result = patch(op("delete", "Patient.name[0].given[0]"))
    assert result["name"][0]["given"] == ["Иванович"] and result["name"][0]["_given"] == [
        {"id": "g2"}
    ]
    result = patch(op("replace", "Patient.name[0].given[1]", value="Петрович"))
    assert result["name"][0]["given"] == ["Иван", "Петрович"] and "_given" not in result["name"][0]
    result = patch(op("move", "Patient.name[0].given", source_Integer=1, destination_Integer=0))
    assert result["name"][0]["given"] == ["Иванович", "Иван"]
    assert result["name"][0]["_given"] == [{"id": "g2"}, None]


def test_replace_choice_known_only_by_its_extension() -> None:
    absent = {"extension": [{"url": "urn:data-absent-reason", "valueCode": "unknown"}]}
    resource = {"resourceType": "Patient", "_deceasedBoolean": absent}
    result = patch(op("replace", "Patient.deceased", value_DateTime="2020"), resource=resource)
    assert result == {"resourceType": "Patient", "deceasedDateTime": "2020"}


def test_primitive_known_only_by_its_extension() -> None:
    resource = {
        "resourceType": "Patient",
        "_birthDate": {"extension": [{"url": "urn:x", "valueCode": "unk"}]},
    }
    assert patch(op("delete", "Patient.birthDate"), resource=resource) == {
        "resourceType": "Patient"
    }


# --- lists ----------------------------------------------------------------------------------------


def test_insert_into_a_missing_list() -> None:
    result = patch(
        op("insert", "Patient.telecom", index_Integer=0, value_ContactPoint={"value": "+7"})
    )
    assert result["telecom"] == [{"value": "+7"}]


@pytest.mark.parametrize(
    "operation",
    [
        op("insert", "Patient.identifier", index_Integer=3, value_Identifier={"value": "x"}),
        op("insert", "Patient.gender", index_Integer=0, value_Code="female"),
        op("insert", "Patient.maritalStatus", index_Integer=0, value_CodeableConcept={"text": "x"}),
        op("move", "Patient.identifier", source_Integer=2, destination_Integer=0),
        op("move", "Patient.identifier", source_Integer=0, destination_Integer=2),
        op("move", "Patient.birthDate", source_Integer=0, destination_Integer=0),
    ],
    ids=[
        "index past end",
        "insert into 0..1",
        "insert, owner missing",
        "source",
        "destination",
        "not a list",
    ],
)
def test_bad_list_operations_are_422(operation: list[dict[str, Any]]) -> None:
    with pytest.raises(UnprocessableEntity):
        patch(operation)


def test_move_needs_a_single_list() -> None:
    two_names = {**PATIENT, "name": [{"given": ["Анна", "Мария"]}, {"given": ["Ольга"]}]}
    with pytest.raises(UnprocessableEntity):
        patch(
            op("move", "Patient.name.given", source_Integer=0, destination_Integer=1),
            resource=two_names,
        )


def test_add_appends_to_a_list_and_a_single_part_still_makes_a_list() -> None:
    contact = [{"name": "telecom", "valueContactPoint": {"system": "phone", "value": "+7 495"}}]
    result = patch(
        op("add", "Patient", name="identifier", value_Identifier={"value": "3"}),
        op("add", "Patient", name="contact", value_parts=contact),
    )
    assert result["identifier"][-1] == {"value": "3"} and len(result["identifier"]) == 3
    assert result["contact"] == [{"telecom": [{"system": "phone", "value": "+7 495"}]}]


def test_paths_with_where_first_and_indexers() -> None:
    result = patch(
        op(
            "replace",
            "Patient.identifier.where(system = 'urn:oms').value",
            value="7700000000000002",
        ),
        op("replace", "Patient.name.first().family", value="Сидоров"),
        op("delete", "Patient.identifier[0]"),
    )
    assert result["identifier"] == [{"system": "urn:oms", "value": "7700000000000002"}]
    assert result["name"][0]["family"] == "Сидоров"


def test_deleting_the_last_child_deletes_the_parent() -> None:
    resource = {"resourceType": "Patient", "contact": [{"name": {"text": "мама"}}]}
    assert patch(op("delete", "Patient.contact[0].name.text"), resource=resource) == {
        "resourceType": "Patient"
    }


# --- resources inside resources -------------------------------------------------------------------


def test_add_and_patch_a_contained_resource() -> None:
    org = {"resourceType": "Organization", "id": "org", "name": "ГКБ № 1"}
    result = patch(
        op("add", "Patient", name="contained", value_resource=org),
        op("replace", "Patient.contained.where(id = 'org').name", value="ГКБ № 2"),
        op("add", "Patient", name="managingOrganization", value_Reference={"reference": "#org"}),
    )
    assert result["contained"] == [{**org, "name": "ГКБ № 2"}]
    assert result["managingOrganization"] == {"reference": "#org"}


def test_narrative_div_is_reachable() -> None:
    resource = {
        **PATIENT,
        "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">a</div>'},
    }
    new = '<div xmlns="http://www.w3.org/1999/xhtml">Иванов</div>'
    assert (
        patch(op("replace", "Patient.text.div", value=new), resource=resource)["text"]["div"] == new
    )
