"""The Patient compartment (http://hl7.org/fhir/R4/compartmentdefinition-patient.html).

Which search parameters of each resource type make it a member of a patient's compartment, from
the official ``CompartmentDefinition-patient.json``. Membership is computed at write time
(:mod:`fhir_server.search.extract`) into the ``cmp`` field; it drives access control,
``$everything`` and patient-scoped search.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DEFINITION = Path(__file__).resolve().parents[1] / "definitions" / "CompartmentDefinition-patient.json"

#: The ``param`` value meaning "the resource itself" (the Patient is in its own compartment).
ITSELF = "{def}"


@cache
def _params() -> dict[str, tuple[str, ...]]:
    with DEFINITION.open(encoding="utf-8") as handle:
        definition = json.load(handle)
    return {r["code"]: tuple(r.get("param", ())) for r in definition["resource"]}


def patient_compartment_params(resource_type: str) -> tuple[str, ...]:
    """The parameter codes linking a ``resource_type`` resource to a patient; empty if none."""
    return _params().get(resource_type, ())


def in_patient_compartment(resource_type: str) -> bool:
    """Whether resources of this type can belong to a patient's compartment at all."""
    return bool(patient_compartment_params(resource_type))
