"""Validation throughput, side by side with plain fhir.resources ``model_validate``.

    .venv/bin/python -m bench.validation_speed [bundle.json or folder ...] [--rounds N]

Defaults to the Synthea dev bundles; measures every entry's resource. The machine is
noisy, so the figure that matters is the ratio, taken in the same run (best of N rounds
for each side, rounds interleaved).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from bench.shared_data import shared_dir
from fhir_server.validation import validate_structure, warm_up


def load(paths: list[Path]) -> list[dict[str, Any]]:
    files = [f for p in paths for f in (sorted(p.glob("*.json")) if p.is_dir() else [p])]
    resources = []
    for file in files:
        bundle = json.loads(file.read_text(encoding="utf-8"))
        resources.extend(entry["resource"] for entry in bundle.get("entry", []) if "resource" in entry)
    return resources


def plain_models(resources: list[dict[str, Any]]) -> None:
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def ours(resources: list[dict[str, Any]]) -> None:
    for resource in resources:
        if validate_structure(resource):
            raise SystemExit(f"invalid: {resource['resourceType']}/{resource.get('id')}")


def best_rate(run: Callable[[list[dict[str, Any]]], None], resources: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    run(resources)
    return len(resources) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    resources = load(args.paths or [shared_dir() / "data" / "synthea" / "dev"])
    types = {r["resourceType"] for r in resources}
    warm_up(types)
    plain_models(resources[:200])
    models, compiled = 0.0, 0.0
    for _ in range(args.rounds):
        models = max(models, best_rate(plain_models, resources))
        compiled = max(compiled, best_rate(ours, resources))
    print(f"{len(resources)} resources of {len(types)} types, best of {args.rounds} rounds")
    print(f"fhir.resources R4B model_validate: {models:10.0f} resources/s")
    print(f"validate_structure (+ R4 bindings): {compiled:9.0f} resources/s  ({compiled / models:.1f}x)")


if __name__ == "__main__":
    main()
