"""CDA R2 data types (II, CD, TS, PN) as FHIR, and element look-ups whose errors say where.

CDA R2 (HL7 Version 3 data types R1) identifies things with ``II`` (``root`` OID or UUID plus an
optional ``extension``), codes them with ``CD`` (``code`` + ``codeSystem`` OID) and dates them with
``TS``. The FHIR mappings follow the CDA-on-FHIR and C-CDA-on-FHIR guides: an II is
``urn:oid:<root>|<extension>`` (``urn:ietf:rfc:3986|urn:oid:<root>`` without extension), unless the
root names one of our identifier systems (:data:`mappers.identifiers.ROOTS`); a code system OID
becomes its FHIR URI when FHIR names one (http://hl7.org/fhir/R4/terminologies-systems.html),
``urn:oid:<oid>`` otherwise.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from . import identifiers as ids
from . import terminology as t
from .dates import from_hl7
from .errors import MappingError
from .resources import Person

NS = "urn:hl7-org:v3"
NSMAP = {"v3": NS}
OID = re.compile(r"[0-2](\.(0|[1-9]\d*))+")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
CODE_SYSTEMS = {"2.16.840.1.113883.6.1": t.LOINC, "2.16.840.1.113883.6.96": t.SNOMED,
                "2.16.840.1.113883.6.3": t.ICD10, "2.16.840.1.113883.5.4": t.ACT_CODE,
                "2.16.840.1.113883.5.25": t.CONFIDENTIALITY, "2.16.840.1.113883.6.8": t.UCUM}


def path(element: etree._Element) -> str:
    """``ClinicalDocument/recordTarget/patientRole`` for an element (``[n]`` for repeated ones)."""
    parts = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if isinstance(c.tag, str) and c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/".join(reversed(parts))


def error(element: etree._Element, detail: str) -> MappingError:
    return MappingError(detail, where=path(element), line=element.sourceline)


def find(element: etree._Element, xpath: str) -> etree._Element | None:
    """The first element at ``xpath`` (``v3:`` prefixed steps), or None."""
    return element.find(xpath, NSMAP)


def need(element: etree._Element, xpath: str, what: str) -> etree._Element:
    """The element at ``xpath``; its absence is an error naming the parent element."""
    found = element.find(xpath, NSMAP)
    if found is None:
        raise error(element, f"no {what} ({xpath.replace('v3:', '')})")
    return found


def text_of(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


def ii(element: etree._Element) -> tuple[str, str]:
    """An ``II`` as ``(system, value)``."""
    root, extension = element.get("root", "").strip(), element.get("extension")
    if root in ids.ROOTS:
        if not extension:
            raise error(element, f"an id with root {root} needs an extension")
        return ids.ROOTS[root], extension.strip()
    if OID.fullmatch(root):
        uri = f"urn:oid:{root}"
    elif UUID.fullmatch(root):
        uri = f"urn:uuid:{root.lower()}"
    else:
        raise error(element, f"id root {root!r} is neither an OID nor a UUID")
    return (uri, extension.strip()) if extension else ("urn:ietf:rfc:3986", uri)


def ids_of(element: etree._Element, xpath: str = "v3:id") -> dict[str, tuple[str, etree._Element]]:
    """Every ``id`` child as ``{system: (value, element)}``."""
    out: dict[str, tuple[str, etree._Element]] = {}
    for child in element.findall(xpath, NSMAP):
        if child.get("nullFlavor"):
            continue
        system, value = ii(child)
        out[system] = (value, child)
    return out


def cd(element: etree._Element) -> dict[str, Any]:
    """A ``CD``/``CE`` as a CodeableConcept (code system OID translated, display kept)."""
    code, system = element.get("code"), element.get("codeSystem", "")
    if not code or not system:
        raise error(element, "a code needs both code and codeSystem")
    uri = CODE_SYSTEMS.get(system) or (f"urn:oid:{system}" if OID.fullmatch(system) else None)
    if uri is None:
        raise error(element, f"codeSystem {system!r} is not an OID")
    return {"coding": [t.coding(uri, code, element.get("displayName"))]}


def ts(element: etree._Element) -> str:
    """A ``TS`` (its ``value`` attribute) as FHIR date/dateTime."""
    value = element.get("value")
    if not value:
        raise error(element, "no value")
    try:
        return from_hl7(value)
    except MappingError as exc:
        raise error(element, exc.detail) from None


def person(element: etree._Element | None) -> Person | None:
    """A ``PN`` as a :class:`Person`: family, first given name, second given name (patronymic)."""
    if element is None:
        return None
    family = text_of(find(element, "v3:family"))
    given = [text_of(g) for g in element.findall("v3:given", NSMAP)]
    if not family:
        return None
    return Person(family, given[0] if given else None, given[1] if len(given) > 1 else None)
