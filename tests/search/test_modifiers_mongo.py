"""Modifiers against a real mongod over the Synthea dev resources (http://hl7.org/fhir/R4/search.html#modifiers).

Expected results come from the bundle JSON through :mod:`.spec_oracle`, not from the server.
"""

from __future__ import annotations

import pytest
from pymongo.collection import Collection

from . import spec_oracle as spec
from .conftest import found
from .corpus import of_type, synthea_resources

R = synthea_resources()
OBSERVATIONS, PATIENTS, CONDITIONS = of_type(R, "Observation"), of_type(R, "Patient"), of_type(R, "Condition")
LOINC = "http://loinc.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def ids(resources: list[dict]) -> list[str]:
    return sorted(r["id"] for r in resources)


@pytest.mark.parametrize("text", ["body", "BODY H", "blood", "pressure", "tobacco smoking", "zzz"])
def test_token_text(synthea: Collection, text: str) -> None:
    def words(o: dict) -> list[str]:
        return spec.fold(o["code"]["text"]).split()

    expected = [o for o in OBSERVATIONS
                if any(" ".join(words(o)[n:]).startswith(spec.fold(text)) for n in range(len(words(o))))]
    assert sorted(found(synthea, "Observation", [("code:text", text)])) == ids(expected)
    assert expected or text == "zzz"


@pytest.mark.parametrize("value", [f"{LOINC}|8302-2", "8302-2,29463-7", "final", f"{LOINC}|"])
def test_token_not(synthea: Collection, value: str) -> None:
    name = "status:not" if value == "final" else "code:not"
    if name == "status:not":
        expected = [o for o in OBSERVATIONS if o["status"] != "final"]
    else:
        expected = [o for o in OBSERVATIONS
                    if not any(spec.token_matches(spec.codings(o["code"]), v) for v in value.split(","))]
    assert sorted(found(synthea, "Observation", [(name, value)])) == ids(expected)


def test_token_not_includes_resources_without_the_element(synthea: Collection) -> None:
    expected = [c for c in CONDITIONS if not spec.token_matches(spec.codings(c.get("clinicalStatus")), "active")]
    assert sorted(found(synthea, "Condition", [("clinical-status:not", "active")])) == ids(expected)
    assert any(c["clinicalStatus"]["coding"][0]["code"] == "resolved" for c in expected)


def test_token_of_type(synthea: Collection) -> None:
    patient = PATIENTS[3]
    ssn = next(i for i in patient["identifier"] if i.get("type", {}).get("coding", [{}])[0].get("code") == "SS")
    value = f"{V2_0203}|SS|{ssn['value']}"
    assert found(synthea, "Patient", [("identifier:of-type", value)]) == [patient["id"]]
    assert found(synthea, "Patient", [("identifier:of-type", f"{V2_0203}|MR|{ssn['value']}")]) == []
    assert found(synthea, "Patient", [("identifier", f"http://hl7.org/fhir/sid/us-ssn|{ssn['value']}")]) == [patient["id"]]


def test_string_exact_and_contains(synthea: Collection) -> None:
    family = PATIENTS[0]["name"][0]["family"]
    exact = [p for p in PATIENTS if any(n.get("family") == family for n in p["name"])]
    assert sorted(found(synthea, "Patient", [("family:exact", family)])) == ids(exact)
    assert found(synthea, "Patient", [("family:exact", family.lower())]) == []
    assert found(synthea, "Patient", [("family:exact", family[:-1])]) == []
    middle = family[1:4]
    contains = [p for p in PATIENTS if any(middle.lower() in spec.fold(part) for part in spec.name_parts(p))]
    assert sorted(found(synthea, "Patient", [("name:contains", middle.upper())])) == ids(contains)
    starts = [p for p in PATIENTS if spec.starts_with(spec.name_parts(p), middle)]
    assert sorted(found(synthea, "Patient", [("name", middle)])) == ids(starts)


def test_reference_type_modifier(synthea: Collection) -> None:
    patient = PATIENTS[1]["id"]
    mine = [o for o in OBSERVATIONS if o["subject"]["reference"] == f"Patient/{patient}"]
    assert sorted(found(synthea, "Observation", [("subject:Patient", patient)])) == ids(mine)
    assert found(synthea, "Observation", [("subject:Group", patient)]) == []


@pytest.mark.parametrize(("name", "value"), [("value-quantity:missing", "true"), ("value-quantity:missing", "false"),
                                              ("value-concept:missing", "false"), ("code:missing", "true"),
                                              ("code-value-quantity:missing", "false")])
def test_missing(synthea: Collection, name: str, value: str) -> None:
    key = {"value-quantity": "valueQuantity", "value-concept": "valueCodeableConcept", "code": "code",
           "code-value-quantity": "valueQuantity"}[name.split(":")[0]]
    expected = [o for o in OBSERVATIONS if (key in o) == (value == "false")]
    assert sorted(found(synthea, "Observation", [(name, value)])) == ids(expected)


@pytest.mark.parametrize(
    ("name", "value"),
    [("code:in", "http://vs"), ("code:below", "x"), ("code:nope", "x"), ("subject:Nope", "1"),
     ("date:exact", "2019"), ("date", "2019-02-30"), ("date", "xx2019"), ("value-quantity", "x5"),
     ("status.name", "x"), ("subject.nope", "x"), ("code:missing", "maybe"),
     ("code-value-quantity", "a$b$c"), ("_has:Observation:nope:code", "x"), ("_has:Nope:patient:code", "x")],
)
def test_bad_input_is_a_400_naming_the_parameter(synthea: Collection, name: str, value: str) -> None:
    from fhir_server.errors import BadRequest

    with pytest.raises(BadRequest) as caught:
        found(synthea, "Observation" if not name.startswith("_has") else "Patient", [(name, value)])
    assert name in str(caught.value)


@pytest.mark.parametrize(
    "params",
    [[("code", "$ne")], [("code", '{"$gt": ""}')], [("name", ".*")], [("code:text", ".*")],
     [("family:exact", "$regex")], [("subject", "$where")], [("code-value-quantity", "\\$where$gt1")]],
)
def test_operator_like_values_are_plain_values(synthea: Collection, params: list[tuple[str, str]]) -> None:
    rtype = "Patient" if params[0][0] in ("name", "family:exact") else "Observation"
    assert found(synthea, rtype, params) == []
