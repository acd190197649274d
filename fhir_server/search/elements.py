"""``_elements`` (http://hl7.org/fhir/R4/search.html#elements).

``_elements=status,code`` returns only those top-level elements, with ``resourceType``, ``id``,
``meta`` and the mandatory elements ("servers SHOULD return ... all mandatory elements"), and
tags the resource ``SUBSETTED``. Names are checked to be plain element names; unknown names
simply select nothing. Included resources (``_include``) are returned whole: the spec applies
``_elements`` to the matches of the search.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import BadRequest
from .summary import ALWAYS, apply_summary, keep, mandatory, parse_summary, tagged

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def parse_elements(raw: list[str]) -> frozenset[str] | None:
    names = [n.strip() for r in raw for n in r.split(",") if n.strip()]
    if not names:
        return None
    wrong = [n for n in names if not _NAME.match(n.split(".", 1)[-1] if "." in n else n)]
    if wrong:
        raise BadRequest(f"_elements: {wrong[0]!r} is not an element name")
    # "Observation.status" names an element of a type: keep the element name.
    return frozenset(n.split(".", 1)[1] if "." in n else n for n in names)


def apply_elements(resource: dict[str, Any], names: frozenset[str] | None) -> dict[str, Any]:
    if names is None:
        return resource
    rtype = resource.get("resourceType", "")
    return tagged(keep(resource, ALWAYS | names | mandatory(rtype)))


def subset(resource: dict[str, Any], params: list[tuple[str, str]]) -> dict[str, Any]:
    """``_summary`` and ``_elements`` applied to one resource (read, vread: http.html#read allows
    both); the resource unchanged when neither is given."""
    summary = [v for k, v in params if k == "_summary"]
    elements = [v for k, v in params if k == "_elements"]
    if not summary and not elements:
        return resource
    mode = parse_summary(summary)
    if mode == "count":
        raise BadRequest("_summary=count applies to searches only")
    return apply_elements(apply_summary(resource, mode), parse_elements(elements))
