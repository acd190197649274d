"""The official FHIRPath Patch cases (fhir-test-cases ``patch-r4/fhir-patch-tests.xml``).

Each ``<case>`` holds an ``<input>`` resource, a ``<diff>`` (the Parameters of a FHIRPath Patch,
http://hl7.org/fhir/R4/fhirpatch.html) and either the ``<output>`` resource or an ``<error>``. The
``mode`` attribute ("both"/"forwards") tells whether a *diff engine* should also produce the patch
from input and output; we only apply patches, so every case is run forwards.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bench.shared_data import shared_dir
from fhir_server.errors import UnprocessableEntity
from fhir_server.patch import apply_fhirpath_patch

from .fhir_xml import local_name, resource_to_json

CASES_FILE: Path = shared_dir() / "fhir-test-cases" / "patch-r4" / "fhir-patch-tests.xml"


def _only_child(case: ET.Element, tag: str) -> dict[str, Any] | None:
    holder = case.find(tag)
    if holder is None:
        return None
    (resource,) = list(holder)
    return resource_to_json(resource)


def _load_cases() -> list[Any]:
    cases = []
    for case in ET.parse(CASES_FILE).getroot():
        if local_name(case.tag) != "case":
            continue
        error = case.find("error")
        spec = {
            "input": _only_child(case, "input"),
            "diff": _only_child(case, "diff"),
            "output": _only_child(case, "output"),
            "error": error.get("msg") if error is not None else None,
        }
        cases.append(pytest.param(spec, id=case.get("name")))
    return cases


@pytest.mark.parametrize("case", _load_cases())
def test_official_case(case: dict[str, Any]) -> None:
    before = copy.deepcopy(case["input"])
    if case["error"] is not None:
        with pytest.raises(UnprocessableEntity):
            apply_fhirpath_patch(case["input"], case["diff"])
    else:
        result = apply_fhirpath_patch(case["input"], case["diff"])
        assert result == case["output"]
    assert case["input"] == before, "the input resource must not be mutated"


def test_all_official_cases_are_loaded() -> None:
    """Guard against a converter or file change silently dropping cases (33 in the R4 file)."""
    assert CASES_FILE.is_file(), f"{CASES_FILE} not found"
    assert len(_load_cases()) == 33
