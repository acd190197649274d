"""Searches against a real mongod over the Synthea dev resources, checked against the bundle JSON.

Documents are built as the storage layer builds them (docs/storage.md) with :func:`extract`; the
expected results are computed from the resource JSON by :mod:`.spec_oracle`, not by our code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pymongo.collection import Collection
from pymongo.database import Database

from fhir_server.search.compile import compile_search
from fhir_server.search.indexes import INDEXES
from fhir_server.storage.store import current_document

from . import spec_oracle as spec
from .corpus import of_type, synthea_resources
from .plans import stages

UTC = UTC
START = datetime(2024, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 1, 1, tzinfo=UTC)
PREFIXES = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def last_updated(position: int) -> datetime:
    return START + timedelta(minutes=position, milliseconds=position % 1000)


@pytest.fixture(scope="module")
def resources(mongo_db: Database) -> Iterator[Collection]:
    collection = mongo_db[f"search_{uuid.uuid4().hex[:8]}"]
    collection.create_indexes(INDEXES)
    docs = [current_document(resource, 1, last_updated(n), "POST") for n, resource in enumerate(synthea_resources())]
    docs.append({"_id": "Patient/gone", "t": "Patient", "id": "gone", "vid": 2, "lu": START, "del": True})
    collection.insert_many(docs)
    yield collection
    collection.drop()


def search(collection: Collection, rtype: str, params: list[tuple[str, str]]) -> list[str]:
    compiled = compile_search(rtype, params, now=NOW)
    return [d["id"] for d in collection.find(compiled.filter, {"id": 1}).sort(compiled.sort)]


def ids(resources: list[dict]) -> list[str]:
    return sorted(r["id"] for r in resources)


def codings(concept: dict | None) -> list[tuple[str | None, str]]:
    return [(c.get("system"), c["code"]) for c in (concept or {}).get("coding", [])]


OBSERVATIONS = of_type(synthea_resources(), "Observation")
ENCOUNTERS = of_type(synthea_resources(), "Encounter")
PATIENTS = of_type(synthea_resources(), "Patient")


def test_deleted_resources_are_not_found(resources: Collection) -> None:
    assert sorted(search(resources, "Patient", [])) == ids(PATIENTS)


@pytest.mark.parametrize(
    "params",
    [[("code", f"{LOINC}|8302-2")], [("code", "8302-2,29463-7")], [("code", "|8302-2")],
     [("code", f"{LOINC}|")], [("category", "laboratory"), ("status", "final")]],
)
def test_token(resources: Collection, params: list[tuple[str, str]]) -> None:
    def wanted(obs: dict, name: str, value: str) -> bool:
        if name == "status":
            return obs["status"] == value
        field = {"code": [obs["code"]], "category": obs.get("category", [])}[name]
        pairs = [pair for concept in field for pair in codings(concept)]
        return any(
            (code == "" or c == code) and (system is None or (s or "") == system)
            for part in value.split(",")
            for system, code in [part.split("|") if "|" in part else (None, part)]
            for s, c in pairs
        )

    expected = [o for o in OBSERVATIONS if all(wanted(o, n, v) for n, v in params)]
    assert sorted(search(resources, "Observation", params)) == ids(expected)
    assert expected or params == [("code", "|8302-2")]


@pytest.mark.parametrize("length", [1, 2, 4])
def test_string_prefix_on_names(resources: Collection, length: int) -> None:
    for patient in PATIENTS:
        prefix = patient["name"][0]["family"][:length].upper()
        expected = [
            p for p in PATIENTS
            if any(part.lower().startswith(prefix.lower())
                   for name in p["name"]
                   for part in [name.get("family", ""), *name.get("given", []), *name.get("prefix", [])])
        ]
        assert sorted(search(resources, "Patient", [("name", prefix)])) == ids(expected)


def test_string_on_address(resources: Collection) -> None:
    city = PATIENTS[0]["address"][0]["city"]
    expected = [
        p for p in PATIENTS if any(a.get("city", "").lower().startswith(city[:3].lower()) for a in p["address"])
    ]
    assert sorted(search(resources, "Patient", [("address-city", city[:3].lower())])) == ids(expected)


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("value", ["2018-06", "2012", "2014-09-10", "2012-09-19T05:49"])
def test_date_on_observation_instants(resources: Collection, prefix: str, value: str) -> None:
    searched = spec.date_range(value)
    expected = [
        o for o in OBSERVATIONS
        if spec.date_matches(prefix, spec.date_range(o["effectiveDateTime"]), searched, NOW)
    ]
    assert sorted(search(resources, "Observation", [("date", prefix + value)])) == ids(expected)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_date_on_encounter_periods(resources: Collection, prefix: str) -> None:
    start = ENCOUNTERS[5]["period"]["start"]
    for value in (start[:10], start[:16] + "Z", start[:7]):
        searched = spec.date_range(value)
        expected = [e for e in ENCOUNTERS if spec.date_matches(prefix, spec.period_range(e["period"]), searched, NOW)]
        assert sorted(search(resources, "Encounter", [("date", prefix + value)])) == ids(expected), value


@pytest.mark.parametrize("prefix", PREFIXES)
def test_date_on_birth_dates(resources: Collection, prefix: str) -> None:
    for value in ("1970", "2003-05", "1971-03-03"):
        expected = [p for p in PATIENTS
                    if spec.date_matches(prefix, spec.date_range(p["birthDate"]), spec.date_range(value), NOW)]
        assert sorted(search(resources, "Patient", [("birthdate", prefix + value)])) == ids(expected)


def _quantities() -> list[tuple[dict, Decimal]]:
    return [(o, Decimal(str(o["valueQuantity"]["value"]))) for o in OBSERVATIONS if "valueQuantity" in o]


@pytest.mark.parametrize("prefix", ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"])
def test_quantity_numbers(resources: Collection, prefix: str) -> None:
    sample = _quantities()[40][1]
    for value in (f"{sample:.1f}", f"{sample:.0f}", "100"):
        expected = [o for o, number in _quantities() if spec.number_matches(prefix, number, value)]
        assert sorted(search(resources, "Observation", [("value-quantity", prefix + value)])) == ids(expected)


@pytest.mark.parametrize(
    ("value", "system", "unit"),
    [("lt5", UCUM, "mmol/L"), ("gt100", UCUM, "mg/dL"), ("ge70", "", "kg"), ("le5", "", "{score}")],
)
def test_quantity_units(resources: Collection, value: str, system: str, unit: str) -> None:
    prefix, number = value[:2], value[2:]

    def unit_ok(q: dict) -> bool:
        if system:
            return q.get("system") == system and q.get("code") == unit
        return unit in (q.get("code"), q.get("unit"))

    expected = [o for o, n in _quantities() if spec.number_matches(prefix, n, number) and unit_ok(o["valueQuantity"])]
    assert expected
    found = search(resources, "Observation", [("value-quantity", f"{value}|{system}|{unit}")])
    assert sorted(found) == ids(expected)


def test_references_and_patient_scope(resources: Collection) -> None:
    for patient in PATIENTS[:4]:
        mine = [o for o in OBSERVATIONS if o["subject"]["reference"] == f"Patient/{patient['id']}"]
        assert mine
        for params in ([("subject", f"Patient/{patient['id']}")], [("patient", patient["id"])]):
            compiled = compile_search("Observation", params)
            assert compiled.patient_scope == patient["id"]
            assert sorted(search(resources, "Observation", params)) == ids(mine)
        encounters = [e for e in ENCOUNTERS if e["subject"]["reference"] == f"Patient/{patient['id']}"]
        assert sorted(search(resources, "Encounter", [("subject", patient["id"])])) == ids(encounters)
    two = f"Patient/{PATIENTS[0]['id']},Patient/{PATIENTS[1]['id']}"
    both = [o for o in OBSERVATIONS if o["subject"]["reference"] in two.split(",")]
    assert sorted(search(resources, "Observation", [("subject", two)])) == ids(both)


def test_compartment_membership(resources: Collection) -> None:
    patient = PATIENTS[2]["id"]
    members = sorted(d["_id"] for d in resources.find({"cmp": patient}, {"_id": 1}))
    expected = sorted(
        f"{r['resourceType']}/{r['id']}" for r in synthea_resources()
        if r is PATIENTS[2] or f'"Patient/{patient}"' in _references(r)
    )
    assert members == expected


def _references(resource: dict) -> str:
    """The references of the fields the CompartmentDefinition lists for the types in Synthea."""
    fields = {"Observation": ["subject", "performer"], "Encounter": ["subject"], "Condition": ["subject", "asserter"],
              "Claim": ["patient", "payee"], "ExplanationOfBenefit": ["patient", "payee"], "Immunization": ["patient"],
              "Procedure": ["subject", "performer"], "DiagnosticReport": ["subject"], "CarePlan": ["subject"],
              "MedicationRequest": ["subject"], "AllergyIntolerance": ["patient", "recorder", "asserter"],
              "Goal": ["subject"], "ImagingStudy": ["subject"]}.get(resource["resourceType"], [])
    found = []
    for name in fields:
        value = resource.get(name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                found.append(str(item.get("reference") or item.get("party", {}).get("reference")))
                found.append(str(item.get("actor", {}).get("reference")))
    return " ".join(f'"{f}"' for f in found)


@pytest.mark.parametrize("prefix", ["eq", "gt", "lt", "ge", "le", "ne"])
def test_last_updated(resources: Collection, prefix: str) -> None:
    everything = list(synthea_resources())
    for value in ("2024-01-01T10:00Z", "2024-01-02T03:04:05Z", "2024-01-01"):
        searched = spec.date_range(value)
        expected = [r for n, r in enumerate(everything) if r["resourceType"] == "Observation"
                    and spec.date_matches(prefix, (last_updated(n), last_updated(n)), searched, NOW)]
        found = search(resources, "Observation", [("_lastUpdated", prefix + value)])
        assert sorted(found) == ids(expected), value


def test_tag_id_and_missing(resources: Collection) -> None:
    tagged = [
        o for o in OBSERVATIONS if any(t.get("code") == "synthea-5-2019" for t in o.get("meta", {}).get("tag", []))
    ]
    found = search(resources, "Observation", [("_tag", "https://smarthealthit.org/tags|synthea-5-2019")])
    assert sorted(found) == ids(tagged)
    chosen = [OBSERVATIONS[3]["id"], OBSERVATIONS[7]["id"]]
    assert sorted(search(resources, "Observation", [("_id", ",".join(chosen))])) == sorted(chosen)
    without = [o for o in OBSERVATIONS if "valueQuantity" not in o]
    assert sorted(search(resources, "Observation", [("value-quantity:missing", "true")])) == ids(without)
    with_value = [o for o in OBSERVATIONS if "valueQuantity" in o]
    assert sorted(search(resources, "Observation", [("value-quantity:missing", "false")])) == ids(with_value)


def test_sort_by_date_descending(resources: Collection) -> None:
    heights = [o for o in OBSERVATIONS if ("http://loinc.org", "8302-2") in codings(o["code"])]
    key = lambda o: (-spec.date_range(o["effectiveDateTime"])[0].timestamp(), f"Observation/{o['id']}")  # noqa: E731
    expected = [o["id"] for o in sorted(heights, key=key)]
    assert search(resources, "Observation", [("code", "8302-2"), ("_sort", "-date")]) == expected



@pytest.mark.parametrize(
    ("rtype", "params", "indexes"),
    [
        ("Observation", [("code", f"{LOINC}|8302-2")], {"type_value"}),
        ("Observation", [("date", "ge2018-01-01"), ("date", "lt2018-03")], {"type_range"}),
        ("Observation", [("patient", "PATIENT"), ("code", f"{LOINC}|8302-2")], {"compartment", "type_value"}),
        ("Patient", [("name", "har")], {"type_value"}),
        ("Observation", [("value-quantity", "5.4|http://unitsofmeasure.org|mg")], {"type_range"}),
        ("Observation", [("_lastUpdated", "gt2024-01-02")], {"type_updated"}),
        ("Observation", [("_id", "x,y")], {"type_id"}),
    ],
)
def test_key_searches_use_an_index(resources: Collection, rtype: str, params: list, indexes: set[str]) -> None:
    """Token, string, range, patient-scoped, _lastUpdated and _id searches: IXSCAN, no COLLSCAN,
    with or without the default sort."""
    params = [(n, v.replace("PATIENT", PATIENTS[0]["id"])) for n, v in params]
    compiled = compile_search(rtype, params)
    for sort in ([], compiled.sort):
        cursor = resources.find(compiled.filter)
        if sort:
            cursor = cursor.sort(sort)
        found_stages = stages(cursor.explain()["queryPlanner"]["winningPlan"])
        names = [s["stage"] for s in found_stages]
        assert "COLLSCAN" not in names, names
        used = {s.get("indexName") for s in found_stages if s["stage"] == "IXSCAN"}
        assert used - {"_id_"}, names
        assert used & indexes, (used, sort)
