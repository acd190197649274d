"""The patient compartment computed from the definitions, independently of the server's
write-time extraction: the official CompartmentDefinition names the parameters, the official
SearchParameters give their FHIRPath, and fhirpathpy evaluates it on the resource JSON
(``resolve() is Patient`` read as "the reference points to a Patient")."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import fhirpathpy
from fhirpathpy.models import models

from tests.conftest import SHARED

DEFINITIONS = SHARED / "fhir-r4" / "definitions"


@cache
def _compartment() -> dict[str, list[str]]:
    path = DEFINITIONS / "compartments" / "CompartmentDefinition-patient.json"
    definition = json.loads(path.read_text(encoding="utf-8"))
    return {r["code"]: r.get("param", []) for r in definition["resource"]}


@cache
def _expressions() -> dict[tuple[str, str], str]:
    bundle = json.loads((DEFINITIONS / "search-parameters.json").read_text(encoding="utf-8"))
    out = {}
    for entry in bundle["entry"]:
        parameter = entry["resource"]
        for base in parameter.get("base", []):
            if parameter.get("expression"):
                out[(base, parameter["code"])] = parameter["expression"]
    return out


def _branches(expression: str, rtype: str) -> list[str]:
    return [b.strip().replace(".where(resolve() is Patient)", "") for b in expression.split("|")
            if b.strip().startswith(rtype + ".") or b.strip().startswith(f"({rtype}.")]


def patients_of(resource: dict[str, Any]) -> set[str]:
    """Ids of the patients whose compartment holds ``resource`` (its references are ``Type/id``)."""
    rtype = resource["resourceType"]
    found = {resource["id"]} if rtype == "Patient" else set()
    for code in _compartment().get(rtype, []):
        if code == "{def}":
            continue
        expression = _expressions().get((rtype, code))
        if expression is None:
            continue
        for branch in _branches(expression, rtype):
            for value in fhirpathpy.evaluate(resource, branch, {}, models["r4"]):
                reference = value.get("reference") if isinstance(value, dict) else None
                if isinstance(reference, str) and reference.startswith("Patient/"):
                    found.add(reference.split("/")[1])
    return found
