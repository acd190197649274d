"""The official JSON Patch cases (fhir-test-cases ``patch-r4/json-patch-tests.json``, RFC 6902).

The documents of these cases are plain JSON, not resources, and :func:`apply_json_patch` insists
that the result is still the same resource (http://hl7.org/fhir/R4/http.html#patch). So each
document is wrapped into a resource envelope (``resourceType`` and ``id`` beside its own members):
the patches address top-level members by name, so their meaning does not change.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bench.shared_data import shared_dir
from fhir_server.errors import UnprocessableEntity
from fhir_server.patch import apply_json_patch

CASES_FILE: Path = shared_dir() / "fhir-test-cases" / "patch-r4" / "json-patch-tests.json"
ENVELOPE = {"resourceType": "Basic", "id": "json-patch-case"}


def _load_cases() -> list[Any]:
    with CASES_FILE.open(encoding="utf-8") as f:
        return [pytest.param(case, id=case["comment"]) for case in json.load(f)]


@pytest.mark.parametrize("case", _load_cases())
def test_official_case(case: dict[str, Any]) -> None:
    assert not set(case["doc"]) & set(ENVELOPE)
    doc = {**ENVELOPE, **case["doc"]}
    before = copy.deepcopy(doc)
    patch_before = copy.deepcopy(case["patch"])
    if "error" in case:
        with pytest.raises(UnprocessableEntity):
            apply_json_patch(doc, case["patch"])
    else:
        assert apply_json_patch(doc, case["patch"]) == {**ENVELOPE, **case["expected"]}
    assert doc == before, "the input resource must not be mutated"
    assert case["patch"] == patch_before, "the patch document must not be mutated"


def test_all_official_cases_are_loaded() -> None:
    assert CASES_FILE.is_file(), f"{CASES_FILE} not found"
    assert len(_load_cases()) == 16
