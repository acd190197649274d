"""Checks on a resource sent for writing: the one place where writes are validated.

The structure check runs once per write (DESIGN.md: "writes validate once"); the read path
never validates again.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import BadRequest
from fhir_server.profiles import check_claimed_profiles
from fhir_server.rest import check_id, check_type
from fhir_server.validation import check_resource


def require_resource(body: Any, rtype: str) -> dict[str, Any]:
    """The request body as a resource of ``rtype``: 400 if it is not one."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a FHIR resource (a JSON object)")
    if "resourceType" not in body:
        raise BadRequest("The resource has no resourceType", expression=["resourceType"])
    if body["resourceType"] != rtype:
        raise BadRequest(
            f"resourceType '{body['resourceType']}' does not match the type '{rtype}' in the URL",
            expression=["resourceType"],
        )
    return body


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Structure and required bindings (400 with every issue), then the EMC profiles the resource
    claims in ``meta.profile`` (422 with every issue); returns the resource unchanged."""
    check_type(resource["resourceType"])
    if "id" in resource:
        if not isinstance(resource["id"], str):
            raise BadRequest("Resource id must be a string", expression=[f"{resource['resourceType']}.id"])
        check_id(resource["id"])
    check_resource(resource)
    check_claimed_profiles(resource)
    return resource
