"""Checks every mapper test applies to the Bundles it gets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fhir_server.validation import validate_structure

GOLDEN = Path(__file__).parent / "golden"
SAMPLES = Path(__file__).parent / "samples"


def references(value: Any) -> list[str]:
    """Every ``reference`` string inside ``value``."""
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


def assert_valid_transaction(bundle: dict[str, Any]) -> None:
    """Structurally valid FHIR R4, conditional creates only, every reference inside the Bundle."""
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
    assert validate_structure(bundle) == []
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert validate_structure(resource) == [], resource["resourceType"]
        assert entry["fullUrl"].startswith("urn:uuid:")
        request = entry["request"]
        assert request["method"] == "POST" and request["url"] == resource["resourceType"]
        assert request["ifNoneExist"].startswith("identifier=")
        for reference in references(resource):
            assert reference in urls, f"{resource['resourceType']} refers to {reference} outside the Bundle"


def resources(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def check_golden(name: str, bundles: Any) -> None:
    """Compare with ``golden/<name>.json`` (``UPDATE_GOLDEN=1`` rewrites it after a reviewed change)."""
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(bundles, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == bundles
