"""``profiles/`` is what ``tools/gen_profiles.py`` writes, and every snapshot is its differential
applied to the official base definition (fhir_server.profiles.snapshot)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from fhir_server.profiles.registry import PROFILES_DIR, emc_registry
from fhir_server.profiles.snapshot import SnapshotError, generate
from fhir_server.validation import validate_structure
from tests.conftest import SHARED

DEFINITIONS = SHARED / "fhir-r4" / "definitions"
TOOL = Path(__file__).resolve().parents[2] / "tools" / "gen_profiles.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("gen_profiles", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tool):
    return tool.build(DEFINITIONS)


def test_files_are_current(tool, built):
    for name, resource in built.items():
        assert (PROFILES_DIR / name).read_text(encoding="utf-8") == tool.render(resource), f"re-run {TOOL.name}: {name}"


def test_no_stale_generated_files(built):
    ours = {p.name for p in PROFILES_DIR.glob("*.json") if not p.name.startswith("NamingSystem-")}
    assert ours == set(built)


def test_every_conformance_resource_is_valid_r4():
    for resource in emc_registry().by_url.values():
        assert validate_structure(resource) == [], resource["id"]


def test_snapshots_regenerate_from_their_differentials(tool):
    for sd in emc_registry().of_type("StructureDefinition"):
        base = tool.base_definition(DEFINITIONS, sd["type"])
        again = generate(sd, base, lambda code: tool.datatype(DEFINITIONS, code))
        assert again == sd["snapshot"]["element"], sd["id"]


def test_every_differential_element_is_in_the_snapshot():
    for sd in emc_registry().of_type("StructureDefinition"):
        ids = {e["id"] for e in sd["snapshot"]["element"]}
        assert {e["id"] for e in sd["differential"]["element"]} <= ids


def test_canonical_urls_and_bindings_resolve():
    registry = emc_registry()
    for sd in registry.of_type("StructureDefinition"):
        assert sd["url"] == f"https://emc.mos.ru/fhir/StructureDefinition/{sd['id']}"
        for element in sd["differential"]["element"]:
            binding = element.get("binding")
            if binding:
                assert registry.get(binding["valueSet"], "ValueSet") is not None, binding
            for type_ in element.get("type", []):
                for target in type_.get("targetProfile", []) + type_.get("profile", []):
                    if target.startswith("https://emc.mos.ru/"):
                        assert registry.structure_definition(target) is not None, target


def test_identifier_systems_are_the_declared_naming_systems():
    """The slices use the mappers' systems (profiles/NamingSystem-*.json)."""
    registry = emc_registry()
    declared = {u["value"] for ns in registry.of_type("NamingSystem") for u in ns["uniqueId"] if u["type"] == "uri"}
    used = {e["fixedUri"] for sd in registry.of_type("StructureDefinition") for e in sd["differential"]["element"]
            if e["path"].endswith("identifier.system") and "fixedUri" in e}
    assert used - {"urn:dicom:uid"} <= declared


def test_the_generator_refuses_what_it_cannot_do(tool):
    base = tool.base_definition(DEFINITIONS, "Patient")
    bad = {"url": "x", "differential": {"element": [{"id": "Patient.nothing", "path": "Patient.nothing"}]}}
    with pytest.raises(SnapshotError):
        generate(bad, base, lambda code: tool.datatype(DEFINITIONS, code))
    widened = {"url": "x", "differential": {"element": [{"id": "Patient.gender", "path": "Patient.gender",
                                                           "max": "*"}]}}
    with pytest.raises(SnapshotError):
        generate(widened, base, lambda code: tool.datatype(DEFINITIONS, code))
    unsliced = {"url": "x", "differential": {"element": [{"id": "Patient.name:x", "path": "Patient.name"}]}}
    with pytest.raises(SnapshotError):
        generate(unsliced, base, lambda code: tool.datatype(DEFINITIONS, code))
