"""Checks on the outcome of any patch, whatever its format.

http://hl7.org/fhir/R4/http.html#patch: the result of a patch is the new content of the resource,
so it must still be a resource (fhirpatch.html: "Servers SHALL return an error if the outcome of the
patch operation is a not a valid resource"), of the same type and with the same ``id``: a patch
updates one resource, it cannot rename it or turn it into another (http.html#update: the id in the
body must match the id in the URL). Full structural validation is left to the caller, which
validates every write once.
"""

from __future__ import annotations

from typing import Any

from fhir_server.errors import UnprocessableEntity


def ensure_same_resource(before: dict[str, Any], after: Any) -> dict[str, Any]:
    """Return ``after`` if it is still the resource ``before`` was; else raise 422."""
    if not isinstance(after, dict) or not isinstance(after.get("resourceType"), str):
        raise UnprocessableEntity(
            "the patched content is not a resource", expression=["resourceType"]
        )
    if after["resourceType"] != before.get("resourceType"):
        raise UnprocessableEntity(
            f"a patch cannot change resourceType ({before.get('resourceType')} -> "
            f"{after['resourceType']})",
            expression=["resourceType"],
        )
    if after.get("id") != before.get("id"):
        raise UnprocessableEntity("a patch cannot change the resource id", expression=["id"])
    return after
