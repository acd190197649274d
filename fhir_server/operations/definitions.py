"""The OperationDefinitions of the operations this server runs (http://hl7.org/fhir/R4/operationdefinition.html).

Each is served read-only at ``[base]/OperationDefinition/[id]`` and named in the
CapabilityStatement (``rest.resource.operation``) of the types it applies to. Each declares
the official definition it implements in ``base``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

BASE = "https://emc.mos.ru/fhir/OperationDefinition/"
DATE = "2026-11-25"


def _param(name: str, use: str, min_: int, max_: str, type_: str, doc: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "use": use, "min": min_, "max": max_, "documentation": doc, "type": type_, **extra}


def _definition(rid: str, code: str, title: str, base: str, resources: list[str], *, type_level: bool,
                instance: bool, description: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "OperationDefinition", "id": rid, "url": BASE + rid, "version": "0.1.0",
        "name": title.replace(" ", "").replace("$", ""), "title": title, "status": "active", "kind": "operation",
        "date": DATE, "publisher": "Moscow EMC FHIR server project", "description": description,
        "affectsState": code == "document", "code": code, "base": base, "resource": resources,
        "system": False, "type": type_level, "instance": instance, "parameter": parameters,
    }


BUNDLE_OUT = _param("return", "out", 1, "1", "Bundle", "The result Bundle")


@cache
def operation_definitions() -> tuple[dict[str, Any], ...]:
    return (
        _definition(
            "Patient-everything", "everything", "Patient $everything",
            "http://hl7.org/fhir/OperationDefinition/Patient-everything", ["Patient"], type_level=False,
            instance=True,
            description="The patient's compartment, optionally limited by care dates, update time and types; "
                        "paged with next links.",
            parameters=[
                _param("start", "in", 0, "1", "date", "Care date start: resources whose care date ends before it "
                       "are left out (those without a care date are kept)"),
                _param("end", "in", 0, "1", "date", "Care date end"),
                _param("_since", "in", 0, "1", "instant", "Only resources updated at or after this instant"),
                _param("_type", "in", 0, "*", "string", "Comma-separated resource types to include"),
                _param("_count", "in", 0, "1", "integer", "Page size"),
                BUNDLE_OUT,
            ]),
        _definition(
            "Patient-summary", "summary", "Patient $summary",
            "http://hl7.org/fhir/uv/ips/OperationDefinition/summary", ["Patient"], type_level=True, instance=True,
            description="The International Patient Summary (IPS STU2 document Bundle): allergies, problems and "
                        "medications always, immunizations, results, procedures, past illness and recent "
                        "discharge summaries when there are any.",
            parameters=[
                _param("identifier", "in", 0, "1", "string", "At type level: the patient's identifier "
                       "(system|value), e.g. https://emc.mos.ru/fhir/sid/mhi|7700000000000019"),
                _param("return", "out", 1, "1", "Bundle", "The IPS document Bundle"),
            ]),
        _definition(
            "Composition-document", "document", "Composition $document",
            "http://hl7.org/fhir/OperationDefinition/Composition-document", ["Composition"], type_level=True,
            instance=True,
            description="The document Bundle of a Composition with every resource it refers to, directly or "
                        "indirectly; persist=true stores it as a Bundle.",
            parameters=[
                _param("id", "in", 0, "1", "uri", "At type level: the Composition's id"),
                _param("persist", "in", 0, "1", "boolean", "Whether to store the document Bundle"),
                BUNDLE_OUT,
            ]),
        _definition(
            "Observation-lastn", "lastn", "Observation $lastn",
            "http://hl7.org/fhir/OperationDefinition/Observation-lastn", ["Observation"], type_level=True,
            instance=False,
            description="The most recent max Observations of each code for each patient, among those matching "
                        "the Observation search parameters given with it.",
            parameters=[
                _param("max", "in", 0, "1", "positiveInt", "How many Observations per patient and code (default 1)"),
                BUNDLE_OUT,
            ]),
        _definition(
            "Resource-validate", "validate", "Resource $validate",
            "http://hl7.org/fhir/OperationDefinition/Resource-validate", ["Resource"], type_level=True,
            instance=True,
            description="Validate a resource: structure, the base spec's required bindings, and an EMC profile "
                        "(the one given, else those the resource claims).",
            parameters=[
                _param("resource", "in", 0, "1", "Resource", "The resource to validate"),
                _param("mode", "in", 0, "1", "code", "create | update | delete | profile",
                       binding={"strength": "required",
                                "valueSet": "http://hl7.org/fhir/ValueSet/resource-validation-mode|4.0.1"}),
                _param("profile", "in", 0, "1", "uri", "The profile to validate against"),
                _param("return", "out", 1, "1", "OperationOutcome", "Every issue, or one information issue"),
            ]),
    )


def operation_definition(rid: str) -> dict[str, Any] | None:
    return next((d for d in operation_definitions() if d["id"] == rid), None)


def capability_operations(resource_type: str) -> list[dict[str, str]]:
    """``CapabilityStatement.rest.resource.operation`` entries of a type."""
    out = []
    for definition in operation_definitions():
        if resource_type in definition["resource"] or "Resource" in definition["resource"]:
            out.append({"name": definition["code"], "definition": definition["url"]})
    return out
