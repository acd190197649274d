"""What the operations and profiles add to ``/metadata`` (http://hl7.org/fhir/R4/capabilitystatement.html):
per resource type, the EMC profiles it supports (``supportedProfile``) and the operations defined on it
(``operation``, each naming its OperationDefinition)."""

from __future__ import annotations

from typing import Any

from fhir_server.profiles.registry import emc_profiles

from .definitions import capability_operations


def operation_capabilities(resource_type: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    profiles = [sd["url"] for sd in emc_profiles() if sd["type"] == resource_type]
    if profiles:
        out["supportedProfile"] = profiles
    operations = capability_operations(resource_type)
    if operations:
        out["operation"] = operations
    return out
