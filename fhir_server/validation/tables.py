"""The facts derived from the official R4 JSON schema by ``tools/gen_validation_data.py``.

Loaded once, lazily: the generated files are small (about 100 KB each) where the source
``fhir.schema.json`` is 3.4 MB. See the generator for what each table means.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DEFINITIONS = Path(__file__).resolve().parent.parent / "definitions"
TABLES_FILE = DEFINITIONS / "validation-tables.json"
R4_ONLY_SCHEMA_FILE = DEFINITIONS / "validation-r4-only.schema.json"


@cache
def tables() -> dict[str, Any]:
    with TABLES_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def resource_types() -> frozenset[str]:
    """Every R4 resource type name."""
    return frozenset(tables()["resourceTypes"])


@cache
def schema_types() -> frozenset[str]:
    """Types validated with jsonschema rather than the R4B models."""
    return frozenset(tables()["schemaTypes"])


@cache
def r4_only_schema() -> dict[str, Any]:
    with R4_ONLY_SCHEMA_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data
