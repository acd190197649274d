"""extract(): index entries, sort keys and Patient compartments of one resource."""

from __future__ import annotations

from datetime import UTC, datetime

from fhir_server.search.extract import extract

UTC = UTC

OBSERVATION = {
    "resourceType": "Observation",
    "id": "o1",
    "meta": {"tag": [{"system": "http://t", "code": "x"}], "lastUpdated": "2020-01-01T00:00:00Z"},
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2"}] * 2},
    "subject": {"reference": "Patient/p1"},
    "performer": [{"reference": "Practitioner/d1"}, {"reference": "Patient/p2"}],
    "effectivePeriod": {"start": "2019-06-01", "end": "2019-06-03"},
    "valueQuantity": {"value": 181.5, "unit": "cm", "system": "http://unitsofmeasure.org", "code": "cm"},
}


def _by_code(entries: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for entry in entries:
        out.setdefault(entry["p"], []).append({k: v for k, v in entry.items() if k != "p"})
    return out


def test_entries_by_parameter() -> None:
    extracted = extract(OBSERVATION)
    assert {e["p"] for e in extracted.ranges} >= {"date", "value-quantity"}
    assert not {e["p"] for e in extracted.entries} & {"date", "value-quantity"}
    entries = _by_code(extracted.entries + extracted.ranges)
    assert entries["code"] == [{"v": "8302-2", "s": "http://loinc.org"}]  # deduplicated
    assert entries["subject"] == [{"v": "Patient/p1"}]
    assert entries["patient"] == [{"v": "Patient/p1"}]
    assert entries["performer"] == [{"v": "Practitioner/d1"}, {"v": "Patient/p2"}]
    assert entries["date"] == [{"lo": datetime(2019, 6, 1, tzinfo=UTC),
                                "hi": datetime(2019, 6, 3, 23, 59, 59, 999000, tzinfo=UTC)}]
    assert entries["value-quantity"] == [{"lo": 181.5, "hi": 181.5, "s": "http://unitsofmeasure.org",
                                          "c": "cm", "u": "cm"}]
    assert entries["_tag"] == [{"v": "x", "s": "http://t"}]
    assert "_id" not in entries and "_lastUpdated" not in entries  # document fields id and lu


def test_sort_keys() -> None:
    sort = extract(OBSERVATION).sort
    assert sort["date"] == datetime(2019, 6, 1, tzinfo=UTC)
    assert sort["code"] == "8302-2"
    assert sort["value-quantity"] == 181.5
    assert sort["performer"] == "Practitioner/d1"
    name = extract({"resourceType": "Patient", "name": [{"family": "Zeta", "given": ["Ann"]}]}).sort
    assert name["name"] == "zeta" and name["given"] == "ann"


def test_compartments_follow_the_compartment_definition() -> None:
    assert sorted(extract(OBSERVATION).compartments) == ["p1", "p2"]  # subject and performer
    assert extract({**OBSERVATION, "performer": [], "subject": {"reference": "Group/g"}}).compartments == []
    focus = {"resourceType": "Observation", "focus": [{"reference": "Patient/p9"}]}
    assert extract(focus).compartments == []  # focus is not a compartment parameter
    patient = {"resourceType": "Patient", "id": "p1", "link": [{"other": {"reference": "Patient/p0"}}]}
    assert extract(patient).compartments == ["p1", "p0"]  # itself first
    assert extract({"resourceType": "Organization", "id": "o"}).compartments == []


def test_our_absolute_references_are_made_relative() -> None:
    base = "https://emc.example/fhir"
    resource = {**OBSERVATION, "subject": {"reference": f"{base}/Patient/p1"}, "performer": []}
    extracted = extract(resource, base_url=base)
    assert {"p": "subject", "v": "Patient/p1"} in extracted.entries
    assert extracted.compartments == ["p1"]
    assert {"p": "subject", "v": f"{base}/Patient/p1"} in extract(resource).entries


def test_unknown_or_empty_resources() -> None:
    assert extract({"resourceType": "NotAType"}).entries == []
    assert extract({"resourceType": "Observation"}).entries == []
    assert extract({}).compartments == []
