"""Checks on a resource sent for writing: the one place where writes are validated.

The structure check runs once per write (docs/architecture.md: "writes validate once"); the read path
never validates again.
"""

from __future__ import annotations

import re
from typing import Any

from fhir_server.errors import BadRequest, InvalidResource
from fhir_server.profiles import check_claimed_profiles
from fhir_server.spec.resource_types import check_id, check_type
from fhir_server.validation import check_resource

#: Deepest nesting of arrays and objects in a stored resource. MongoDB refuses documents nested
#: more than 180 levels (the resource sits a few levels down in its document); no FHIR resource
#: needs more than a few dozen.
MAX_DEPTH = 100
#: BSON integers are signed 64-bit; JSON parsing lets through unsigned 64-bit ones.
INT64 = (-(2**63), 2**63 - 1)
#: Characters a FHIR string may not hold (http://hl7.org/fhir/R4/datatypes.html#string): below
#: U+0020 except TAB, LF and CR; NUL included.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def check_storable(resource: dict[str, Any]) -> None:
    """What MongoDB could not store (a 500 at insert time) is refused here: nesting deeper than
    :data:`MAX_DEPTH`, integers outside 64 bits (a decimal like 18446744073709551615); and, in the
    same walk, strings holding the control characters FHIR forbids (:data:`CONTROL`), named by path
    (element names are not looked at: an unknown one fails the structure check anyway)."""
    if not _check_node(resource, 1):
        path = _control_path(resource, resource.get("resourceType") or "$")
        raise InvalidResource(f"A string at {path} holds a control character (below U+0020 other than TAB, "
                              "CR and LF), which FHIR strings may not contain", expression=[path])


def _control_path(value: Any, path: str) -> str:
    """The path of the first string holding a control character; only called when one does."""
    if isinstance(value, str):
        return path if CONTROL.search(value) else ""
    if isinstance(value, dict):
        for key, child in value.items():
            found = _control_path(child, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found = _control_path(child, f"{path}[{i}]")
            if found:
                return found
    return ""


def _check_node(node: dict[str, Any] | list[Any], depth: int) -> bool:
    """:func:`check_storable` of one object or array at ``depth``; False when a string
    in it holds a control character, for the caller to locate. Recursive: it never goes past
    :data:`MAX_DEPTH` + 1 levels, and a call per container is several times faster than a
    stack entry per value; strings, the most common values, are passed over first (``isprintable``
    is a quick C test that nearly every string passes; the regular expression confirms the rest)."""
    if depth > MAX_DEPTH:
        raise InvalidResource(f"The resource nests arrays and objects more than {MAX_DEPTH} levels deep")
    clean = True
    for child in node.values() if isinstance(node, dict) else node:
        kind = type(child)  # exact types first: parsed JSON holds nothing else, and this is hot
        if kind is str:
            if not child.isprintable() and CONTROL.search(child):
                clean = False
            continue
        if kind is dict or kind is list or isinstance(child, (dict, list)):
            if not _check_node(child, depth + 1):
                clean = False
        elif isinstance(child, int) and not isinstance(child, bool) and not INT64[0] <= child <= INT64[1]:
            raise InvalidResource(f"The number {child} is too large to store; send it as a smaller decimal")
        elif isinstance(child, str) and CONTROL.search(child):  # a str subclass
            clean = False
    return clean


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
    check_storable(resource)
    if "id" in resource:
        if not isinstance(resource["id"], str):
            raise BadRequest("Resource id must be a string", expression=[f"{resource['resourceType']}.id"])
        check_id(resource["id"])
    check_resource(resource)
    check_claimed_profiles(resource)
    return resource
