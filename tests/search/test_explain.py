"""The key query shapes use an index: ``explain()`` shows IXSCAN and no COLLSCAN
(docs/architecture.md, "Principles"; docs/storage.md lists the indexes).

The shapes are built by the same functions the search service uses: compiled searches (with the
``compartment`` hint the service gives patient-scoped ones), the ``_include`` and
``_revinclude`` follow-ups, and the outer clauses of chains and ``_has``.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.collection import Collection

from fhir_server.search.include import include_query, parse_one, revinclude_query

from .conftest import compiled
from .corpus import of_type, synthea_resources
from .plans import stages

R = synthea_resources()
PATIENT = of_type(R, "Patient")[0]["id"]
ORGANIZATION = of_type(R, "Organization")[0]["id"]
LOINC = "http://loinc.org"



def _indexes(explained: dict[str, Any]) -> set[str]:
    planner = explained.get("queryPlanner") or explained["stages"][0]["$cursor"]["queryPlanner"]
    found_stages = stages(planner["winningPlan"])
    names = [s["stage"] for s in found_stages]
    assert "COLLSCAN" not in names, names
    return {s["indexName"] for s in found_stages if s["stage"] == "IXSCAN"}


def _uses(collection: Collection, query: dict[str, Any], sort: list | None = None, hint: str | None = None) -> set[str]:
    cursor = collection.find(query)
    if sort:
        cursor = cursor.sort(sort)
    if hint:
        cursor = cursor.hint(hint)
    return _indexes(cursor.explain())


@pytest.mark.parametrize(
    ("rtype", "params", "index"),
    [
        ("Observation", [("code", f"{LOINC}|8302-2")], "type_value"),  # token
        ("Encounter", [("service-provider", f"Organization/{ORGANIZATION}")], "type_value"),  # reference
        ("Observation", [("date", "ge2018-01-01"), ("date", "lt2018-03")], "type_range"),  # date range
        ("Patient", [("name", "har")], "type_value"),  # string prefix
        ("Patient", [("family:exact", "Harris")], "type_value"),
        ("Observation", [("code:text", "body")], "type_value"),
        ("Observation", [("value-quantity", "gt5.4|http://unitsofmeasure.org|mg")], "type_range"),
        ("Observation", [("component-code-value-quantity", "8480-6$gt120")], "type_range"),  # composite
        ("Observation", [("code-value-concept", f"{LOINC}|72166-2$266919005")], "type_value"),
        ("Observation", [("value-quantity:missing", "false")], "type_range"),
        ("Observation", [("_lastUpdated", "gt2024-01-02")], "type_updated"),
        ("Observation", [("_id", "x,y")], "type_id"),
        ("Observation", [("subject.name", "har")], "type_value"),  # chain (outer query)
        ("Patient", [("_has:Observation:patient:code", "8302-2")], "_id_"),  # _has (outer query)
    ],
)
def test_key_searches_use_their_index(synthea: Collection, rtype: str, params: list, index: str) -> None:
    search = compiled(synthea, rtype, params)
    assert index in _uses(synthea, search.filter)
    assert index in _uses(synthea, search.filter, search.sort)


@pytest.mark.parametrize("params", [
    [("patient", PATIENT), ("code", f"{LOINC}|8302-2")],  # patient-scoped token
    [("patient", PATIENT), ("code", f"{LOINC}|8302-2"), ("_sort", "-date")],  # ... sorted by date
    [("subject", f"Patient/{PATIENT}"), ("_sort", "-date")],  # patient-scoped sort by date
    [("patient", PATIENT), ("date", "ge2015")],
])
def test_patient_scoped_searches_use_the_compartment_index(synthea: Collection, params: list) -> None:
    search = compiled(synthea, "Observation", params)
    assert search.patient_scope == PATIENT
    assert _uses(synthea, search.filter, search.sort, hint="compartment") == {"compartment"}
    assert _uses(synthea, search.filter, search.sort)  # and an index without the hint too
    pipeline = [{"$match": search.filter},
                {"$facet": {"page": [{"$sort": dict(search.sort)}, {"$limit": 11}], "total": [{"$count": "n"}]}}]
    explained = synthea.database.command("explain", {"aggregate": synthea.name, "pipeline": pipeline,
                                                     "cursor": {}, "hint": "compartment"})
    assert _indexes(explained) == {"compartment"}


def test_include_follow_up_reads_by_id(synthea: Collection) -> None:
    refs = [f"Patient/{p['id']}" for p in of_type(R, "Patient")[:3]]
    assert _uses(synthea, include_query("Patient", refs)) == {"_id_"}


def test_revinclude_follow_up_uses_type_value(synthea: Collection) -> None:
    spec = parse_one("_revinclude", "Observation:patient")
    assert _uses(synthea, revinclude_query(spec, [f"Patient/{PATIENT}"]), [("_id", 1)]) & {"type_value"}
    every = parse_one("_revinclude", "Observation:*")
    assert "type_value" in _uses(synthea, revinclude_query(every, [f"Patient/{PATIENT}"]))


def test_has_inner_query_uses_an_index(synthea: Collection) -> None:
    inner = compiled(synthea, "Observation", [("code", "8302-2")])
    assert _uses(synthea, inner.filter) == {"type_value"}
