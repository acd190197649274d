"""Test data for search: the official R4 examples and the Synthea dev bundles.

Synthea bundles are transactions whose references are ``urn:uuid:`` fullUrls; a transaction
rewrites them to ``Type/id`` (http://hl7.org/fhir/R4/http.html#trules), so we do the same here,
without the server's code, to get the resources as they would be stored.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.conftest import EXAMPLES_DIR, SYNTHEA_DEV


def _rewrite(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            k: ids.get(v, v) if k == "reference" and isinstance(v, str) else _rewrite(v, ids)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rewrite(v, ids) for v in value]
    return value


@cache
def synthea_bundles() -> tuple[dict, ...]:
    return tuple(json.loads(p.read_text()) for p in sorted(Path(SYNTHEA_DEV).glob("*.json")))


@cache
def synthea_resources() -> tuple[dict, ...]:
    """Every resource of the 12 dev bundles, references made relative.

    Organizations and practitioners recur across bundles (conditional creates): kept once.
    """
    out: list[dict] = []
    seen: set[str] = set()
    for bundle in synthea_bundles():
        ids = {
            e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
            for e in bundle["entry"]
        }
        for entry in bundle["entry"]:
            key = ids[entry["fullUrl"]]
            if key not in seen:
                seen.add(key)
                out.append(_rewrite(entry["resource"], ids))
    return tuple(out)


@cache
def example_resources() -> tuple[dict, ...]:
    """The 264 official R4 examples (the npm package manifest excluded)."""
    paths = sorted(Path(EXAMPLES_DIR).glob("*.json"))
    loaded = [json.loads(p.read_text()) for p in paths]
    return tuple(r for r in loaded if "resourceType" in r)


def of_type(resources: tuple[dict, ...], resource_type: str) -> list[dict]:
    return [r for r in resources if r["resourceType"] == resource_type]
