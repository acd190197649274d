"""Mapped resources claim the EMC profiles (``meta.profile``) and conform to them.

Checked with the server's own profile validator (``fhir_server.profiles.profile_issues``, the one
that answers 422 on write) over every sample of ``samples/``, a DICOM study and every golden Bundle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_server.profiles import profile_issues
from mappers import emc_profiles as profiles
from mappers import map_oru_message
from mappers.dicom_study import map_dicom_path
from tests.mappers.dicom_factory import Study
from tests.mappers.helpers import GOLDEN, resources
from tests.mappers.samples_index import all_sample_bundles

PROFILE_DIR = Path(__file__).resolve().parents[2] / "profiles"


def expected_profile(resource: dict[str, Any]) -> str | None:
    """The EMC profile a mapped resource of this kind should claim (None: no profile covers it)."""
    rtype = resource["resourceType"]
    if rtype == "Composition":
        return {"34108-1": profiles.EXAM_PROTOCOL, "18842-5": profiles.DISCHARGE_SUMMARY}[
            resource["type"]["coding"][0]["code"]]
    if rtype == "DiagnosticReport":
        category = resource["category"][0]["coding"][0]["code"]
        return {"LAB": profiles.LAB_REPORT, "RAD": profiles.IMAGING_REPORT}.get(category,
                                                                               profiles.INSTRUMENTAL_REPORT)
    if rtype == "Observation":
        return profiles.LAB_OBSERVATION if resource["category"][0]["coding"][0]["code"] == "laboratory" else None
    return {"Patient": profiles.PATIENT, "RelatedPerson": profiles.GUARDIAN, "Encounter": profiles.ENCOUNTER,
            "Condition": profiles.CONDITION, "ImagingStudy": profiles.IMAGING_STUDY}.get(rtype)


def claimed(resource: dict[str, Any]) -> list[str]:
    return resource.get("meta", {}).get("profile", [])


def assert_conforms(bundles: list[dict[str, Any]], unclaimed: set[str] = frozenset()) -> set[str]:
    """Every claimed profile holds; every resource a profile covers claims it, except the types in
    ``unclaimed`` (a source that lacks what the profile requires). Returns the profiles seen."""
    seen = set()
    for bundle in bundles:
        for entry in bundle["entry"]:
            resource = entry["resource"]
            expected = expected_profile(resource)
            urls = claimed(resource)
            if expected is None:
                assert urls == [], resource["resourceType"]
                continue
            if resource["resourceType"] in unclaimed and not urls:
                continue
            assert urls == [expected], (resource["resourceType"], urls)
            issues = profile_issues(resource, urls)
            assert issues == [], (resource["resourceType"], [i.to_json() for i in issues])
            seen.add(expected)
    return seen


# the minimal discharge summary's patient has no birth date: mapped, but not as an emc-patient
UNCLAIMED = {"cda-discharge/minimal_discharge.xml": {"Patient"}}


@pytest.mark.parametrize("name", sorted(all_sample_bundles()))
def test_every_sample_conforms_to_its_claimed_profiles(name: str) -> None:
    seen = assert_conforms(all_sample_bundles()[name], UNCLAIMED.get(name, set()))
    assert len(seen) >= 2


def test_the_samples_cover_every_mapped_profile() -> None:
    seen = set()
    for name, bundles in all_sample_bundles().items():
        seen |= assert_conforms(bundles, UNCLAIMED.get(name, set()))
    assert seen == set(profiles.ALL) - {profiles.GUARDIAN, profiles.IMAGING_STUDY, profiles.IMAGING_REPORT}


def test_dicom_study_conforms(tmp_path: Path) -> None:
    Study("profiles").write(tmp_path)
    (tmp_path / "conclusion.txt").write_text("Без патологии.", encoding="utf-8")
    seen = assert_conforms(map_dicom_path(tmp_path))
    assert seen == {profiles.PATIENT, profiles.IMAGING_STUDY, profiles.IMAGING_REPORT}


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_every_golden_conforms(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    name = path.stem.replace("__", "/").replace("_", "-", 1)
    unclaimed = {"Patient"} if "minimal_discharge" in name else set()
    assert_conforms(data if isinstance(data, list) else [data], unclaimed)


def test_the_minimal_discharge_summary_conforms_with_empty_sections() -> None:
    [bundle] = all_sample_bundles()["cda-discharge/minimal_discharge.xml"]
    [composition] = resources(bundle, "Composition")
    assert claimed(composition) == [profiles.DISCHARGE_SUMMARY]
    assert profile_issues(composition, claimed(composition)) == []
    [patient] = resources(bundle, "Patient")
    assert "meta" not in patient and "birthDate" not in patient
    assert profile_issues(patient, [profiles.PATIENT]) != []  # why it claims nothing


def test_a_source_without_what_a_profile_requires_maps_without_the_claim() -> None:
    """A lab message with no birth date (PID-7) and no collection time (OBR-7, OBX-14)."""
    message = "\r".join([
        "MSH|^~\\&|LIS|CDL01|EMC|EMC|20240312093000||ORU^R01|M1|P|2.5|||||||UNICODE UTF-8",
        "PID|1||7753210987650001^^^MHI||Петров^Иван",
        "OBR|1||240312-9|58410-2^Общий анализ крови^LN|||||||||||||||||||F",
        "OBX|1|NM|718-7^Гемоглобин^LN||128|г/л|130-160|L|||F",
    ])
    bundle = map_oru_message(message)
    for rtype in ("Patient", "DiagnosticReport", "Observation"):
        [resource] = resources(bundle, rtype)
        assert "meta" not in resource, rtype
        assert profile_issues(resource, [expected_profile(resource)]) != [], rtype
    assert_conforms([bundle], {"Patient", "DiagnosticReport", "Observation"})


def test_profile_urls_are_the_canonical_urls_in_profiles() -> None:
    urls = {json.loads(p.read_text(encoding="utf-8"))["url"]
            for p in PROFILE_DIR.glob("StructureDefinition-*.json")}
    assert set(profiles.ALL) == urls - {profiles.BASE + "kinship-verified"}
