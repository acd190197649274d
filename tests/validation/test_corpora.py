"""Valid content stays valid: every official R4 example and every Synthea dev resource."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_server.validation import validate_structure
from fhir_server.validation.tables import resource_types, schema_types
from tests.conftest import EXAMPLES_DIR, SYNTHEA_DEV

EXAMPLES = sorted(p for p in EXAMPLES_DIR.glob("*.json") if p.name != "_npm-package.json")
BUNDLES = sorted(SYNTHEA_DEV.glob("*.json"))


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_corpora_are_complete() -> None:
    assert len(EXAMPLES) == 264
    assert len(BUNDLES) == 12


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_official_example_is_valid(path: Path) -> None:
    resource = _load(path)
    assert [i.to_json() for i in validate_structure(resource)] == []


@pytest.mark.parametrize("path", BUNDLES, ids=lambda p: p.stem.split("_")[0])
def test_synthea_bundle_and_its_resources_are_valid(path: Path) -> None:
    bundle = _load(path)
    assert bundle["type"] == "transaction"
    assert [i.to_json() for i in validate_structure(bundle)] == []
    for entry in bundle["entry"]:
        assert [i.to_json() for i in validate_structure(entry["resource"])] == []


def test_every_r4_resource_type_is_known() -> None:
    """146 types in the R4 schema's discriminator (145 resources plus ``Parameters``...)."""
    types = resource_types()
    assert len(types) == 146
    assert {"Patient", "Observation", "MedicinalProduct", "SubstanceSpecification"} <= types
    assert len(schema_types()) == 20


@pytest.mark.parametrize("rtype", sorted(resource_types()))
def test_every_type_validates_and_only_asks_for_required_elements(rtype: str) -> None:
    """A bare resource of any type is understood: at most "missing required element"."""
    issues = validate_structure({"resourceType": rtype, "id": "x1"})
    assert all(i.code == "required" for i in issues), [i.to_json() for i in issues]
    assert all(i.expression and i.expression[0].startswith(rtype + ".") for i in issues)


BARE_VALID = ["Patient", "Organization", "Practitioner", "Person", "Location", "Medication", "SubstancePolymer"]


@pytest.mark.parametrize("rtype", BARE_VALID)
def test_types_without_required_elements_are_valid_bare(rtype: str) -> None:
    assert validate_structure({"resourceType": rtype}) == []
