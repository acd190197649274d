"""jsonschema validation for the R4 types the R4B models cannot check.

These are the 18 R4 resource types that R4B dropped (``MedicinalProduct*``,
``Substance{NucleicAcid,...}``, ``EffectEvidenceSynthesis``, ``RiskEvidenceSynthesis``)
and ``Evidence``/``EvidenceVariable``, which R4B re-modelled. They use the official R4
``fhir.schema.json``, trimmed by ``tools/gen_validation_data.py`` to what they reach.

One validator per type is built on first use and kept: building one costs far more than
validating a resource.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft6Validator

from fhir_server.errors import Issue

from .issues import from_jsonschema
from .tables import r4_only_schema


@cache
def _validator(resource_type: str) -> Draft6Validator:
    definitions = r4_only_schema()["definitions"]
    schema = {"$ref": f"#/definitions/{resource_type}", "definitions": definitions}
    return Draft6Validator(schema)


def warm_up(resource_type: str) -> None:
    _validator(resource_type)


def check(resource: dict[str, Any], base: str) -> list[Issue]:
    """Issues of one resource of a jsonschema-validated type (nested resources aside)."""
    try:
        errors = list(_validator(resource["resourceType"]).iter_errors(resource))
    except RecursionError:
        return [Issue("structure", "The resource is nested too deeply to validate", expression=[base])]
    errors.sort(key=lambda e: tuple(map(str, e.absolute_path)))
    return from_jsonschema(base, errors)
