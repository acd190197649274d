"""Our own JSON Patch cases: FHIR guards, malformed documents, RFC 6902 corners, Cyrillic text."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fhir_server.errors import BadRequest, UnprocessableEntity
from fhir_server.patch import apply_json_patch

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "active": True,
    "name": [{"family": "Иванов", "given": ["Иван", "Иванович"]}],
    "birthDate": "1980-02-03",
}


def _patient() -> dict[str, Any]:
    return copy.deepcopy(PATIENT)


def test_cyrillic_values_round_trip() -> None:
    patient = _patient()
    result = apply_json_patch(
        patient,
        [
            {"op": "test", "path": "/name/0/family", "value": "Иванов"},
            {"op": "replace", "path": "/name/0/family", "value": "Петров-Водкин"},
            {"op": "add", "path": "/name/0/given/-", "value": "Ёжиков"},
            {
                "op": "add",
                "path": "/address",
                "value": [{"city": "Москва", "line": ["ул. Тверская, д. 1"]}],
            },
        ],
    )
    assert result["name"][0] == {"family": "Петров-Водкин", "given": ["Иван", "Иванович", "Ёжиков"]}
    assert result["address"] == [{"city": "Москва", "line": ["ул. Тверская, д. 1"]}]
    assert patient == PATIENT


def test_failed_test_with_cyrillic_is_422() -> None:
    with pytest.raises(UnprocessableEntity):
        apply_json_patch(_patient(), [{"op": "test", "path": "/name/0/family", "value": "Иванова"}])


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "replace", "path": "/id", "value": "p2"}],
        [{"op": "remove", "path": "/id"}],
        [{"op": "replace", "path": "/resourceType", "value": "Practitioner"}],
        [{"op": "remove", "path": "/resourceType"}],
        [{"op": "replace", "path": "", "value": {"resourceType": "Patient", "id": "other"}}],
        [{"op": "replace", "path": "", "value": ["not", "a", "resource"]}],
        [{"op": "move", "from": "/id", "path": "/identifier"}],
    ],
    ids=[
        "replace id",
        "remove id",
        "change type",
        "remove type",
        "swap document",
        "not object",
        "move id",
    ],
)
def test_identity_changes_are_422(patch: list[dict[str, Any]]) -> None:
    with pytest.raises(UnprocessableEntity):
        apply_json_patch(_patient(), patch)


def test_id_replaced_by_itself_is_fine() -> None:
    assert (
        apply_json_patch(_patient(), [{"op": "replace", "path": "/id", "value": "p1"}]) == PATIENT
    )


@pytest.mark.parametrize(
    "patch",
    [
        {"op": "replace", "path": "/active", "value": False},
        "not a patch",
        None,
        ["replace"],
        [{"path": "/active", "value": False}],
        [{"op": "delete", "path": "/active"}],
        [{"op": 1, "path": "/active"}],
        [{"op": "replace", "value": False}],
        [{"op": "replace", "path": "active", "value": False}],
        [{"op": "replace", "path": 7, "value": False}],
        [{"op": "replace", "path": "/active"}],
        [{"op": "add", "path": "/x"}],
        [{"op": "test", "path": "/active"}],
        [{"op": "move", "path": "/x"}],
        [{"op": "copy", "path": "/x", "from": "nope"}],
    ],
)
def test_malformed_documents_are_400(patch: Any) -> None:
    with pytest.raises(BadRequest):
        apply_json_patch(_patient(), patch)


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "remove", "path": "/gender"}],
        [{"op": "replace", "path": "/gender", "value": "male"}],
        [{"op": "add", "path": "/birthDate/0", "value": "x"}],
        [{"op": "add", "path": "/name/5", "value": {"family": "X"}}],
        [{"op": "remove", "path": "/name/0/given/9"}],
        [{"op": "move", "from": "/gender", "path": "/x"}],
        [{"op": "copy", "from": "/name/3", "path": "/x"}],
        [{"op": "add", "path": "/name/0/given/x", "value": "a"}],
    ],
)
def test_unappliable_patches_are_422(patch: list[dict[str, Any]]) -> None:
    with pytest.raises(UnprocessableEntity):
        apply_json_patch(_patient(), patch)


def test_test_compares_json_types_strictly() -> None:
    """RFC 6902 section 4.6: values of different JSON types are never equal (``true`` is not 1)."""
    doc = {**PATIENT, "multipleBirthInteger": 1}
    with pytest.raises(UnprocessableEntity):
        apply_json_patch(doc, [{"op": "test", "path": "/active", "value": 1}])
    with pytest.raises(UnprocessableEntity):
        apply_json_patch(doc, [{"op": "test", "path": "/multipleBirthInteger", "value": True}])
    with pytest.raises(UnprocessableEntity):
        apply_json_patch(doc, [{"op": "test", "path": "/name", "value": [{"family": "Иванов"}]}])
    ok = [
        {"op": "test", "path": "/multipleBirthInteger", "value": 1.0},
        {
            "op": "test",
            "path": "/name/0",
            "value": {"given": ["Иван", "Иванович"], "family": "Иванов"},
        },
        {"op": "test", "path": "", "value": doc},
    ]
    assert apply_json_patch(doc, ok) == doc


def test_result_shares_nothing_with_the_patch() -> None:
    value = {"family": "Сидоров"}
    patch = [{"op": "add", "path": "/name/-", "value": value}]
    result = apply_json_patch(_patient(), patch)
    result["name"][1]["family"] = "changed"
    assert value == {"family": "Сидоров"}


def test_empty_patch_returns_an_equal_copy() -> None:
    patient = _patient()
    result = apply_json_patch(patient, [])
    assert result == patient and result is not patient
