"""The compiled validators keep no fhir.resources Python glue (the speed depends on it).

If a new fhir_core renames a validator, the compiler falls back to the original (slow but
correct) function; this test makes such drift visible.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from fhir_server.validation import compiler
from fhir_server.validation.compiler import validator_for


def _kinds(schema: Any, found: Counter[str]) -> Counter[str]:
    if isinstance(schema, dict):
        kind = schema.get("type")
        if isinstance(kind, str):
            found[kind] += 1
            if kind.startswith("function"):
                func = schema["function"]["function"]
                found[f"{func.__module__}:{func.__qualname__}"] += 1
        for value in schema.values():
            _kinds(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _kinds(value, found)
    return found


@pytest.mark.parametrize("rtype", ["Patient", "Observation", "Bundle", "ExplanationOfBenefit", "Questionnaire"])
def test_no_model_instances_and_no_foreign_python(rtype: str) -> None:
    validator_for(rtype)
    found: Counter[str] = Counter()
    for schema in compiler._COMPILER[0].done.values():
        _kinds(schema, found)
    assert found["model"] == 0 and found["model-fields"] == 0
    python = {k for k in found if ":" in k}
    ours = {k for k in python if k.startswith("fhir_server.validation.")}
    assert python - ours == {  # the url check and the base64 decoding stay: real work, not glue
        "fhir_core.types:Url.__get_pydantic_core_schema__.<locals>._validate",
        "pydantic.types:EncodedBytes.decode",
    }
    assert found["typed-dict"] == len(compiler._COMPILER[0].done)  # one per element class


def test_validators_are_built_once_per_type() -> None:
    assert validator_for("Patient") is validator_for("Patient")
