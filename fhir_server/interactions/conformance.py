"""The server's own conformance resources, served read-only: ``GET [base]/[type]/[id]`` of the
StructureDefinitions, ValueSets, CodeSystems and NamingSystems in ``profiles/`` and of the
OperationDefinitions of :mod:`fhir_server.operations.definitions`
(http://hl7.org/fhir/R4/http.html#read).

They are part of the software, not data: they come from the files, never from the database,
so every instance serves the same ones and no write can change them. A read of any other id
goes on to the ordinary read. The access policy still decides who may see them.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import NotFound
from fhir_server.profiles.registry import emc_registry
from fhir_server.rest import Context, FhirRequest, FhirResponse, Handler

CONFORMANCE_TYPES = frozenset({"StructureDefinition", "ValueSet", "CodeSystem", "NamingSystem",
                               "OperationDefinition"})


def packaged(resource_type: str, rid: str) -> dict[str, Any] | None:
    """The packaged conformance resource ``resource_type/rid``, if there is one."""
    if resource_type not in CONFORMANCE_TYPES:
        return None
    if resource_type == "OperationDefinition":
        from fhir_server.operations.definitions import operation_definition

        return operation_definition(rid)
    return emc_registry().read(resource_type, rid)


def with_packaged(read: Handler) -> Handler:
    """``read`` preceded by the packaged conformance resources."""

    def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
        rtype, rid = req.path[0], req.path[1]
        resource = packaged(rtype, rid)
        if resource is None:
            return read(ctx, req)
        doc = {"_id": f"{rtype}/{rid}", "t": rtype, "id": rid, "vid": 1, "res": resource, "cmp": []}
        if not ctx.policy.visible(doc):
            raise NotFound(f"{rtype}/{rid} is not known")
        return FhirResponse(200, resource, {"ETag": 'W/"1"'})

    return handle
