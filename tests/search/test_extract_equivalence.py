"""The compiled extractors give exactly what fhirpathpy gives for the official expressions.

For every resource of the 264 R4 examples and the 12 Synthea dev bundles, and every parameter of
a supported type, the entries of :func:`extract` equal those obtained by evaluating the *full*
official expression (all its union branches, for every base) with fhirpathpy, then normalising.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from functools import cache
from typing import Any

import pytest

from fhir_server.search.extract import DOCUMENT_FIELDS, dedupe, extract, plan
from fhir_server.search.fhirpath import Extractor, compile_fhirpathpy
from fhir_server.search.parameters import SUPPORTED_TYPES, _definitions, searchable_types
from fhir_server.search.types import value_type

from .corpus import example_resources, synthea_resources


@cache
def _official(resource_type: str) -> tuple[tuple[str, str, Extractor], ...]:
    """(code, type, fhirpathpy evaluator of the official expression) for one resource type."""
    found: dict[str, tuple[str, str, Extractor]] = {}
    for definition in _definitions():
        expression = definition.get("expression")
        if definition["type"] not in SUPPORTED_TYPES or not expression:
            continue
        if definition["code"] in DOCUMENT_FIELDS:
            continue
        for base in definition["base"]:
            if base == resource_type:
                found[definition["code"]] = (definition["code"], definition["type"], _compiled(expression))
            elif base in ("Resource", "DomainResource") and definition["code"] not in found:
                rooted = expression.replace(base + ".", resource_type + ".")
                found[definition["code"]] = (definition["code"], definition["type"], _compiled(rooted))
    return tuple(found.values())


@cache
def _compiled(expression: str) -> Extractor:
    return compile_fhirpathpy(expression)


def _by_fhirpathpy(resource: dict) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for code, kind, evaluate in _official(resource["resourceType"]):
        for entry in dedupe(value_type(kind).normalise(code, evaluate(resource))):
            out.setdefault(entry["p"], []).append(entry)  # "identifier:of-type" apart
    return out


def _grouped(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        out[entry["p"]].append(entry)
    return dict(out)


@pytest.mark.parametrize("corpus", [example_resources, synthea_resources], ids=["examples", "synthea"])
def test_fast_extraction_equals_fhirpathpy(corpus) -> None:  # type: ignore[no-untyped-def]
    resources = corpus()
    differences = []
    for resource in resources:
        original = copy.deepcopy(resource)
        extracted = extract(resource)
        fast = {code: entries for code, entries in _grouped(extracted.entries + extracted.ranges).items()
                if "$" not in code}  # composites: tests/search/test_composite.py
        slow = _by_fhirpathpy(resource)
        assert resource == original, "extraction must not modify the resource"
        if fast != slow:
            differences.append((resource["resourceType"], resource.get("id"), fast, slow))
    assert not differences[:3]
    assert len(resources) > 250


def test_examples_exercise_every_supported_type() -> None:
    kinds = {e["p"]: None for r in example_resources() for x in [extract(r)] for e in x.entries + x.ranges}
    seen = {
        step.type
        for r in example_resources()
        for step in plan(r["resourceType"])
        if step.code in kinds
    }
    assert seen >= {"token", "string", "reference", "date", "quantity", "uri"}


def test_only_known_expressions_fall_back_to_fhirpathpy() -> None:
    """Every R4 expression but one compiles to closures; fhirpathpy evaluates the rest."""
    fallbacks = {
        (resource_type, step.code)
        for resource_type in searchable_types()
        for step in plan(resource_type)
        if step.type != "composite" and step.extractor.__qualname__.startswith("compile_fhirpathpy")
    }
    assert fallbacks == {("Patient", "deceased")}
