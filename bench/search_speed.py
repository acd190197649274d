"""Measure write-time extraction speed: compiled closures against fhirpathpy, side by side.

A command, not a test (docs/benchmarks.md): the machine is small and noisy, so both evaluators run
in the same process over the same resources, alternately, and the ratio is what counts::

    python -m bench.search_speed [folder of bundles or resources ...]

Without arguments it reads the Synthea dev bundles of the shared folder.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fhir_server.search.extract import dedupe, extract, plan
from fhir_server.search.fhirpath import compile_fhirpathpy
from fhir_server.search.parameters import search_params
from fhir_server.search.types import value_type


def load(paths: Iterable[Path]) -> list[dict[str, Any]]:
    resources: list[dict[str, Any]] = []
    for path in paths:
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for file in files:
            data = json.loads(file.read_text(encoding="utf-8"))
            if data.get("resourceType") == "Bundle":
                resources.extend(e["resource"] for e in data.get("entry", []) if "resource" in e)
            elif "resourceType" in data:
                resources.append(data)
    return resources


def fhirpathpy_extract() -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    """The same extraction with every expression evaluated by fhirpathpy (the "before")."""
    compiled: dict[tuple[str, str], Callable[[dict[str, Any]], list[Any]]] = {}

    def run(resource: dict[str, Any]) -> list[dict[str, Any]]:
        rtype = resource["resourceType"]
        entries: list[dict[str, Any]] = []
        for step in plan(rtype):
            key = (rtype, step.code)
            if key not in compiled:
                compiled[key] = compile_fhirpathpy(search_params(rtype)[step.code].expression)
            entries += dedupe(value_type(step.type).normalise(step.code, compiled[key](resource)))
        return entries

    return run


def rate(function: Callable[[dict[str, Any]], object], resources: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for resource in resources:
        function(resource)
    return len(resources) / (time.perf_counter() - started)


def main(argv: list[str]) -> None:
    from bench.shared_data import shared_dir

    paths = [Path(a) for a in argv] or [shared_dir() / "data" / "synthea" / "dev"]
    resources = load(paths)
    slow = fhirpathpy_extract()
    for r in resources[:200]:  # compile both once before timing
        extract(r)
        slow(r)
    fast_rates, slow_rates = [], []
    for _ in range(3):
        fast_rates.append(rate(extract, resources))
        slow_rates.append(rate(slow, resources))
    fast, before = max(fast_rates), max(slow_rates)
    print(f"{len(resources)} resources")
    print(f"fhirpathpy extraction: {before:9.0f} resources/s")
    print(f"compiled extraction:   {fast:9.0f} resources/s  ({fast / before:.1f}x)")


if __name__ == "__main__":
    main(sys.argv[1:])
