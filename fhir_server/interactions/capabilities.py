"""capabilities: ``GET [base]/metadata`` (http://hl7.org/fhir/R4/http.html#capabilities).

The CapabilityStatement is generated from what the server really does: the routing table gives
the interactions, the search registry the parameters a type can be searched by. It must parse
in strict clients (Python ``fhirclient`` rejects unknown or missing keys), so every key written
here is a CapabilityStatement element.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fhir_server import FHIR_VERSION, SOFTWARE_NAME, SOFTWARE_VERSION
from fhir_server.operations.capabilities import operation_capabilities
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.search.include import capability as include_capability
from fhir_server.search.parameters import search_params
from fhir_server.spec.resource_types import RESOURCE_TYPES

TYPE_INTERACTIONS = ["read", "vread", "update", "patch", "delete", "history-instance",
                     "history-type", "create", "search-type"]
SYSTEM_INTERACTIONS = ["transaction", "batch", "history-system"]
RESULT_PARAMS = [("_count", "number"), ("_sort", "string")]


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    return FhirResponse(200, capability_statement(ctx.base_url, ctx.settings.auth_enabled))


@lru_cache(maxsize=4)
def capability_statement(base_url: str, secured: bool = False) -> dict[str, Any]:
    rest: dict[str, Any] = {"mode": "server"}
    if secured:  # SMART: rest.security with the oauth-uris extension (auth/urls.py)
        from fhir_server.auth.urls import security

        rest["security"] = security(base_url)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-25",
        "publisher": "Moscow EMC FHIR server project",
        "kind": "instance",
        "software": {"name": SOFTWARE_NAME, "version": SOFTWARE_VERSION},
        "implementation": {"description": "Moscow unified electronic medical card (EMC)", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "application/json", "json"],
        "patchFormat": ["application/json-patch+json", "application/fhir+json"],
        "rest": [{
            **rest,
            "resource": [_resource(rtype) for rtype in sorted(RESOURCE_TYPES)],
            "interaction": [{"code": code} for code in SYSTEM_INTERACTIONS],
        }],
    }


def _resource(rtype: str) -> dict[str, Any]:
    params = [
        {"name": code, "definition": p.url, "type": p.type} if p.url else {"name": code, "type": p.type}
        for code, p in sorted(search_params(rtype).items())
        if p.extractable
    ]
    params += [{"name": name, "type": kind} for name, kind in RESULT_PARAMS]
    return {
        "type": rtype,
        "interaction": [{"code": code} for code in TYPE_INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "full-support",
        "conditionalUpdate": True,
        "conditionalDelete": "single",
        "referencePolicy": ["literal", "logical"],
        **include_capability(rtype),
        "searchParam": params,
        **operation_capabilities(rtype),
    }
