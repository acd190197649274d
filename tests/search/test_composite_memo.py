"""The per-extraction memo of composite components changes no entry (search/composite.py, ``Memo``).

The composites of a type share their components (the eight Observation composites all read
``code`` and ``value``): :func:`extract` normalises each element's components once and shares
them. Here every composite is also computed with a memo that remembers nothing, which is what
extraction did before the memo, and the entries must be the same, in the same order.
"""

from __future__ import annotations

import copy
import gc
from typing import Any

import pytest

from fhir_server.search import composite
from fhir_server.search.extract import dedupe, extract, plan
from fhir_server.search.parameters import search_param

from .corpus import example_resources, synthea_resources


class _Forgetful(dict):  # type: ignore[type-arg]
    """A memo that stores nothing: every component is normalised afresh."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


def _exact(entries: list[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    """Entries with their key order: MongoDB stores it."""
    return [list(entry.items()) for entry in entries]


def _uncached(resource: dict[str, Any]) -> tuple[list[list[tuple[str, Any]]], list[list[tuple[str, Any]]]]:
    """The ``i`` and ``r`` entries of :func:`extract`, every composite computed without the memo."""
    values: list[dict[str, Any]] = []
    ranges: list[dict[str, Any]] = []
    for step in plan(resource["resourceType"]):
        if step.composite is not None:
            entries = step.composite(resource, _Forgetful())
        else:
            found = step.extractor(resource)
            entries = step.normaliser(step.code, found) if found else []
        if entries:
            (ranges if step.field == "r" else values).extend(dedupe(entries))
    return _exact(values), _exact(ranges)


@pytest.mark.parametrize("corpus", [example_resources, synthea_resources], ids=["examples", "synthea"])
def test_memoised_composites_equal_uncached_ones(corpus) -> None:  # type: ignore[no-untyped-def]
    resources = [r for r in corpus() if r["resourceType"] != "SearchParameter"]
    with_composites = 0
    for resource in resources:
        original = copy.deepcopy(resource)
        extracted = extract(resource)
        assert (_exact(extracted.entries), _exact(extracted.ranges)) == _uncached(resource), resource.get("id")
        assert resource == original
        with_composites += any("$" in e["p"] for e in extracted.entries + extracted.ranges)
    assert with_composites > 10  # the corpus exercises composites


def test_composites_sharing_components_each_get_their_entries() -> None:
    observation = {
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "valueQuantity": {"value": 1, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
        "component": [
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
             "valueQuantity": {"value": 120, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
             "valueCodeableConcept": {"coding": [{"system": "http://x", "code": "high"}]}},
        ],
    }
    codes = {e["p"] for e in extract(observation).entries + extract(observation).ranges}
    assert {"code-value-quantity$http://loinc.org|85354-9", "combo-code-value-quantity$8480-6",
            "component-code-value-quantity$http://loinc.org|8480-6",
            "component-code-value-concept$8462-4", "combo-code-value-concept$http://loinc.org|8462-4"} <= codes
    assert not any(c.startswith("code-value-concept$") for c in codes)  # the Observation's value is a Quantity


def test_memo_keeps_its_elements_alive() -> None:
    """Entries are keyed by ``id(element)``: an element built afresh by an evaluator and then dropped
    must not let a later element take its id while the memo is in use."""
    entries = composite.normaliser(search_param("Observation", "code-value-quantity"), "Observation")
    assert entries is not None
    memo: composite.Memo = {}
    element = {"resourceType": "Observation", "code": {"coding": [{"code": "a"}]}, "valueQuantity": {"value": 1}}
    first = entries(element, memo)
    element_id = id(element)
    del element
    gc.collect()
    assert all(held is not None for held, _ in memo.values())
    other = {"resourceType": "Observation", "code": {"coding": [{"code": "b"}]}, "valueQuantity": {"value": 2}}
    assert id(other) != element_id
    assert entries(other, memo) != first
