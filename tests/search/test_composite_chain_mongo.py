"""Composite parameters, chains, ``_has``, dates with zones, Period ranges and multi-key ``_sort``
against a real mongod over the Synthea dev resources; expected results from the bundle JSON.
(http://hl7.org/fhir/R4/search.html#composite, #chaining, #has, #date, #sort)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pymongo.collection import Collection

from fhir_server.search.extract import extract

from . import spec_oracle as spec
from .conftest import NOW, found
from .corpus import of_type, synthea_resources

R = synthea_resources()
OBSERVATIONS, PATIENTS, ENCOUNTERS = of_type(R, "Observation"), of_type(R, "Patient"), of_type(R, "Encounter")
BY_REF = {f"{r['resourceType']}/{r['id']}": r for r in R}
LOINC, UCUM, SNOMED = "http://loinc.org", "http://unitsofmeasure.org", "http://snomed.info/sct"
SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"


def ids(resources: list[dict]) -> list[str]:
    return sorted(r["id"] for r in resources)


# -- composites -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("code", "value"), [(f"{LOINC}|{SYSTOLIC}", "gt130"), (SYSTOLIC, "le110"),
                                             (f"{LOINC}|{DIASTOLIC}", "ge80"), (f"|{SYSTOLIC}", "gt0"),
                                             (f"{LOINC}|{SYSTOLIC}", f"gt120|{UCUM}|mm[Hg]")])
def test_component_code_value_quantity(synthea: Collection, code: str, value: str) -> None:
    number, _, unit = value.partition("|")
    system, _, unit_code = unit.partition("|")

    def matches(component: dict) -> bool:
        return (spec.token_matches(spec.codings(component["code"]), code)
                and spec.quantity_matches(number[:2], component.get("valueQuantity"), number[2:],
                                          system or None, unit_code or None))

    expected = [o for o in OBSERVATIONS if any(matches(c) for c in o.get("component", []))]
    assert sorted(found(synthea, "Observation", [("component-code-value-quantity", f"{code}${value}")])) == ids(expected)
    assert expected or code.startswith("|")


def test_components_must_match_in_the_same_component(synthea: Collection) -> None:
    """Systolic and diastolic are separate components: "systolic $ diastolic's value" must not match
    across them."""
    pressures = [o for o in OBSERVATIONS if o.get("component")]
    low_diastolic = min(c["valueQuantity"]["value"] for o in pressures for c in o["component"]
                        if spec.token_matches(spec.codings(c["code"]), DIASTOLIC))
    expected = [o for o in pressures if any(spec.token_matches(spec.codings(c["code"]), SYSTOLIC)
                                            and c["valueQuantity"]["value"] <= low_diastolic + 1
                                            for c in o["component"])]
    search = [("component-code-value-quantity", f"{SYSTOLIC}$le{low_diastolic + 1:.0f}")]
    assert sorted(found(synthea, "Observation", search)) == ids(expected) == []


@pytest.mark.parametrize(("name", "code", "value"), [
    ("code-value-quantity", f"{LOINC}|8302-2", "gt170"), ("code-value-quantity", "29463-7", "lt60"),
    ("combo-code-value-quantity", SYSTOLIC, "gt130"), ("combo-code-value-quantity", "8302-2", "gt170"),
])
def test_code_value_quantity(synthea: Collection, name: str, code: str, value: str) -> None:
    def pairs(o: dict) -> list[tuple[dict, dict | None]]:
        own = [(o["code"], o.get("valueQuantity"))]
        return own + ([(c["code"], c.get("valueQuantity")) for c in o.get("component", [])] if "combo" in name else [])

    expected = [o for o in OBSERVATIONS if any(spec.token_matches(spec.codings(concept), code)
                                               and spec.quantity_matches(value[:2], q, value[2:])
                                               for concept, q in pairs(o))]
    assert expected
    assert sorted(found(synthea, "Observation", [(name, f"{code}${value}")])) == ids(expected)


def test_code_value_concept(synthea: Collection) -> None:
    expected = [o for o in OBSERVATIONS if spec.token_matches(spec.codings(o["code"]), "72166-2")
                and spec.token_matches(spec.codings(o.get("valueCodeableConcept")), f"{SNOMED}|266919005")]
    assert expected
    search = [("code-value-concept", f"{LOINC}|72166-2${SNOMED}|266919005")]
    assert sorted(found(synthea, "Observation", search)) == ids(expected)
    search = [("code-value-concept", f"{LOINC}|72166-2${SNOMED}|266919005,8302-2$x")]
    assert sorted(found(synthea, "Observation", search)) == ids(expected)  # comma: OR of composites


# -- chains and _has -----------------------------------------------------------------------------
def _subject(o: dict) -> dict:
    return BY_REF[o["subject"]["reference"]]


@pytest.mark.parametrize("name", ["subject:Patient.name", "patient.name", "subject.family", "patient.given"])
def test_chain_on_names(synthea: Collection, name: str) -> None:
    for patient in PATIENTS[:3]:
        prefix = patient["name"][0]["family"][:4] if "given" not in name else patient["name"][0]["given"][0][:3]
        parts = {"name": spec.name_parts, "family": lambda p: [n.get("family", "") for n in p["name"]],
                 "given": lambda p: [g for n in p["name"] for g in n.get("given", [])]}[name.rsplit(".", 1)[1]]
        expected = [o for o in OBSERVATIONS if spec.starts_with(parts(_subject(o)), prefix)]
        assert expected
        assert sorted(found(synthea, "Observation", [(name, prefix)])) == ids(expected)


def test_chain_on_a_date_and_two_levels(synthea: Collection) -> None:
    born = [p for p in PATIENTS if spec.date_matches("lt", spec.date_range(p["birthDate"]),
                                                     spec.date_range("1980"), NOW)]
    expected = [o for o in OBSERVATIONS if _subject(o) in born]
    assert sorted(found(synthea, "Observation", [("patient.birthdate", "lt1980")])) == ids(expected)
    family = PATIENTS[4]["name"][0]["family"]
    two_levels = [o for o in OBSERVATIONS if "encounter" in o
                  and spec.starts_with(spec.name_parts(BY_REF[BY_REF[o["encounter"]["reference"]]["subject"]["reference"]]),
                                       family)]
    assert two_levels
    assert sorted(found(synthea, "Observation", [("encounter.patient.name", family)])) == ids(two_levels)
    assert sorted(found(synthea, "Observation", [("encounter:Encounter.subject:Patient.family", family)])) == \
        ids(two_levels)


def test_has(synthea: Collection) -> None:
    code = f"{LOINC}|8302-2"
    with_height = {o["subject"]["reference"] for o in OBSERVATIONS if spec.token_matches(spec.codings(o["code"]), code)}
    expected = [p for p in PATIENTS if f"Patient/{p['id']}" in with_height]
    assert sorted(found(synthea, "Patient", [("_has:Observation:patient:code", code)])) == ids(expected)
    smoker = {o["subject"]["reference"] for o in OBSERVATIONS
              if spec.token_matches(spec.codings(o.get("valueCodeableConcept")), "449868002")}
    both = [p for p in expected if f"Patient/{p['id']}" in smoker]
    search = [("_has:Observation:patient:code", code), ("_has:Observation:patient:value-concept", "449868002")]
    assert sorted(found(synthea, "Patient", search)) == ids(both)


def test_nested_has(synthea: Collection) -> None:
    """Patients with an Encounter that has a body-height Observation."""
    encounters = {o["encounter"]["reference"] for o in OBSERVATIONS
                  if "encounter" in o and spec.token_matches(spec.codings(o["code"]), "8302-2")}
    patients = {BY_REF[e]["subject"]["reference"] for e in encounters}
    expected = [p for p in PATIENTS if f"Patient/{p['id']}" in patients]
    assert expected
    search = [("_has:Encounter:patient:_has:Observation:encounter:code", "8302-2")]
    assert sorted(found(synthea, "Patient", search)) == ids(expected)


# -- dates -------------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"])
@pytest.mark.parametrize("value", ["2012-09-19T08:49:32+03:00", "2012-09-19T01:49-04:00", "2012-09-19T05:49:32.000Z",
                                   "2012-09", "2012-09-19"])
def test_dates_with_zones_and_precisions(synthea: Collection, prefix: str, value: str) -> None:
    searched = spec.date_range(value)
    expected = [o for o in OBSERVATIONS
                if spec.date_matches(prefix, spec.date_range(o["effectiveDateTime"]), searched, NOW)]
    assert sorted(found(synthea, "Observation", [("date", prefix + value)])) == ids(expected)


@pytest.mark.parametrize("prefix", ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"])
def test_open_periods(synthea: Collection, prefix: str) -> None:
    plans = of_type(R, "CarePlan")
    assert any("end" not in p["period"] for p in plans)
    for value in ("2014-08", "1988", "2019-01-01"):
        expected = [p for p in plans if spec.date_matches(prefix, spec.period_range(p["period"]),
                                                          spec.date_range(value), NOW)]
        assert sorted(found(synthea, "CarePlan", [("date", prefix + value)])) == ids(expected), value


def test_timing_is_its_outer_limits() -> None:
    timing = {"event": ["2020-02-05T10:00:00Z", "2020-01-02T08:00:00+03:00"],
              "repeat": {"boundsPeriod": {"start": "2020-01-03", "end": "2020-01-31"}}}
    plan = {"resourceType": "CarePlan", "id": "x", "activity": [{"detail": {"scheduledTiming": timing}}]}
    (entry,) = [e for e in extract(plan).ranges if e["p"] == "activity-date"]
    assert (entry["lo"], entry["hi"]) == (spec.date_range("2020-01-02T05:00:00Z")[0],
                                          spec.date_range("2020-02-05T10:00:00Z")[1])


# -- sort --------------------------------------------------------------------------------------
def test_sort_on_several_keys(synthea: Collection) -> None:
    chosen = [o for o in OBSERVATIONS if spec.token_matches(spec.codings(o["code"]), "8302-2")
              or spec.token_matches(spec.codings(o["code"]), "29463-7")]

    def key(o: dict) -> tuple:
        code = o["code"]["coding"][0]["code"]
        start = spec.date_range(o["effectiveDateTime"])[0]
        return (code, -(start - datetime(1900, 1, 1, tzinfo=UTC)).total_seconds(), f"Observation/{o['id']}")

    expected = [o["id"] for o in sorted(chosen, key=key)]
    assert found(synthea, "Observation", [("code", "8302-2,29463-7"), ("_sort", "code,-date")]) == expected
    reverse = [o["id"] for o in sorted(chosen, key=lambda o: (key(o)[1], key(o)[2]))]
    assert found(synthea, "Observation", [("code", "8302-2,29463-7"), ("_sort", "-date"), ("_sort", "_id")]) == reverse
