"""Never weaker than the models: what the R4B models reject, the compiled validators reject.

Random mutations of valid resources (wrong JSON types, nulls, bad codes and dates, unknown
and removed elements) are checked by plain ``model_validate`` and by ``validate_structure``.
The compiled validators may reject more (the R4 bindings and JSON rules), never less.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from fhir_server.validation import validate_structure
from fhir_server.validation.tables import schema_types
from tests.conftest import EXAMPLES_DIR, SYNTHEA_DEV

VALUES: list[Any] = [5, 5.5, True, "abc", "", {}, [], None, {"x": 1}, ["a"], [None], "2020-13-45", "bogus code", -1,
                     0, "urn:uuid:x", "12:00", "x" * 70, "2020-02-30", {"extension": []}]
DELETE = object()


def _corpus() -> list[dict[str, Any]]:
    out = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES_DIR.glob("*.json"))
           if p.name != "_npm-package.json"]
    bundle = json.loads(sorted(SYNTHEA_DEV.glob("*.json"))[0].read_text(encoding="utf-8"))
    out.extend(e["resource"] for e in bundle["entry"])
    return [r for r in out if r["resourceType"] not in schema_types()]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path and path != ("resourceType",) else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        out.extend(_paths(child, (*path, key)))
    return out


def _mutate(resource: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out = copy.deepcopy(resource)
    path = rng.choice(_paths(out))
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    roll = rng.random()
    if roll < 0.15 and isinstance(parent, dict):
        del parent[path[-1]]
    elif roll < 0.25 and isinstance(parent, dict):
        parent["zzUnknown"] = 1
    else:
        parent[path[-1]] = rng.choice(VALUES)
    return out


def _models_accept(resource: dict[str, Any]) -> bool:
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except Exception:  # noqa: BLE001 - any failure of the models counts as a rejection
        return False
    return True


def test_mutations_rejected_by_the_models_are_rejected() -> None:
    rng = random.Random(2024)
    corpus = _corpus()
    weaker, rejected = [], 0
    for _ in range(1500):
        resource = _mutate(rng.choice(corpus), rng)
        for _ in range(rng.randrange(3)):
            resource = _mutate(resource, rng)
        ours = validate_structure(resource)
        if not _models_accept(resource):
            rejected += 1
            if not ours:
                weaker.append(resource)
    assert weaker == []
    assert rejected > 1000  # the mutations do exercise the rejecting side
