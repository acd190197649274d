"""The generated population claims the EMC profiles and conforms to them (checked without a server)."""

from __future__ import annotations

from collections import Counter

from fhir_server.profiles import profile_issues
from mappers import emc_profiles as profiles
from seed_data import generate
from tests.mappers.test_profiles import expected_profile

SEED = 5
PATIENTS = 40


def test_every_resource_a_profile_covers_claims_it_and_conforms() -> None:
    seen: Counter[str] = Counter()
    guardians: Counter[tuple[bool, bool]] = Counter()
    for _, bundles in generate(PATIENTS, SEED):
        for bundle in bundles:
            for entry in bundle["entry"]:
                resource = entry["resource"]
                urls = resource.get("meta", {}).get("profile", [])
                assert urls == ([expected] if (expected := expected_profile(resource)) else []), resource
                for url in urls:
                    issues = profile_issues(resource, [url])
                    assert issues == [], (url, [i.to_json() for i in issues])
                    seen[url] += 1
                if resource["resourceType"] == "RelatedPerson":
                    guardians[resource["active"], resource["extension"][0]["valueBoolean"]] += 1
    assert set(seen) == set(profiles.ALL), set(profiles.ALL) - set(seen)
    assert set(guardians) <= {(True, True), (False, False)}  # emc-grd-1: an active guardian is verified
