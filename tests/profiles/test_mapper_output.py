"""What the mappers produce conforms to the EMC profiles (their golden Bundles). The minimal discharge
summary gets the sections it lacks added empty (docs/mappers.md); its patient, without birth date,
claims no profile and is not checked here (tests/mappers/test_profiles.py checks the claims)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fhir_server.profiles import profile_issues
from tests.profiles.instances import P

GOLDEN = Path(__file__).resolve().parents[1] / "mappers" / "golden"
CAT = "http://terminology.hl7.org/CodeSystem/v2-0074"


def profile_for(resource: dict) -> str | None:
    rtype = resource["resourceType"]
    if rtype == "Composition":
        code = resource["type"]["coding"][0]["code"]
        return {"34108-1": "emc-exam-protocol", "18842-5": "emc-discharge-summary"}[code]
    if rtype == "DiagnosticReport":
        category = resource["category"][0]["coding"][0]["code"]
        return {"LAB": "emc-lab-report", "RAD": "emc-imaging-report"}.get(category, "emc-instrumental-report")
    if rtype == "Observation":
        laboratory = resource["category"][0]["coding"][0]["code"] == "laboratory"
        return "emc-lab-observation" if laboratory else None
    return {"Patient": "emc-patient", "Encounter": "emc-encounter", "Condition": "emc-condition",
            "ImagingStudy": "emc-imaging-study"}.get(rtype)


CONFORMING = sorted(GOLDEN.glob("*.json"))


@pytest.mark.parametrize("path", CONFORMING, ids=lambda p: p.stem)
def test_mapper_output_conforms(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    checked = set()
    for bundle in data if isinstance(data, list) else [data]:
        for entry in bundle["entry"]:
            profile = profile_for(entry["resource"])
            if profile is None or (profile == "emc-patient" and "meta" not in entry["resource"]):
                continue
            checked.add(profile)
            issues = profile_issues(entry["resource"], [P + profile])
            assert issues == [], (profile, [i.to_json() for i in issues])
    assert len(checked) >= 2


def test_minimal_discharge_has_the_required_sections_added_empty():
    data = json.loads((GOLDEN / "cda_discharge__minimal_discharge.json").read_text(encoding="utf-8"))
    composition = next(e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Composition")
    assert profile_issues(composition, [P + "emc-discharge-summary"]) == []
    empty = [s["code"]["coding"][0]["code"] for s in composition["section"] if "emptyReason" in s]
    assert empty == ["11493-4", "18841-7", "29549-3"]
