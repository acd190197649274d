"""Transaction Bundles whose every entry is a conditional create on a business identifier.

Why conditional creates (http://hl7.org/fhir/R4/http.html#ccreate, ``Bundle.entry.request.
ifNoneExist``): re-importing a source must change nothing and never duplicate. A ``POST`` with
``ifNoneExist: identifier=<system>|<value>`` creates the resource the first time and afterwards
resolves to the stored one without writing a new version (a conditional update ``PUT`` would
store a new version on every import). Entries refer to each other by ``urn:uuid:`` full URLs
(http://hl7.org/fhir/R4/bundle.html#references) that the server rewrites to the ids the
resources get, the existing ones included (http.html#trules).

The full URLs are name-based UUIDs (RFC 4122 section 4.3) of ``type|system|value``, so the same
source always gives the same Bundle, byte for byte.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from .errors import MappingError

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://emc.mos.ru/fhir/mappers")

Resource = dict[str, Any]


def full_url(resource_type: str, system: str, value: str) -> str:
    """The deterministic ``urn:uuid:`` of the resource with this business identifier."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{resource_type}|{system}|{value}')}"


def identifier_query(system: str, value: str) -> str:
    """``identifier=<system>|<value>`` with both parts percent-encoded (RFC 3986) for the query."""
    return f"identifier={quote(system, safe=':/')}|{quote(value, safe='')}"


def identifier(system: str, value: str, **extra: Any) -> dict[str, Any]:
    """An Identifier datatype (``extra`` adds e.g. ``type`` or ``use``)."""
    return {**extra, "system": system, "value": value}


def reference(url: str, display: str | None = None) -> dict[str, Any]:
    """A Reference to a bundle entry (``urn:uuid:``) or a conditional reference (``Type?...``)."""
    return {"reference": url, "display": display} if display else {"reference": url}


class TransactionBuilder:
    """Collects the entries of one transaction Bundle in the order they are added.

    :meth:`add` is for records of the source (a result, a diagnosis): two with the same
    identifier mean the source is contradictory. :meth:`share` is for participants that a source
    may name several times (the same doctor as author and attester): the first one is kept.
    """

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []
        self._urls: set[str] = set()

    def add(self, resource: Resource, system: str, value: str) -> str:
        """Add ``resource`` as a conditional create on ``system|value``; returns its full URL."""
        url = full_url(resource["resourceType"], system, value)
        if url in self._urls:
            raise MappingError(f"two {resource['resourceType']} records have the identifier {system}|{value}")
        self._append(url, resource, system, value)
        return url

    def share(self, resource: Resource, system: str, value: str) -> str:
        """Like :meth:`add`, but a second resource with the same identifier is the first one."""
        url = full_url(resource["resourceType"], system, value)
        if url not in self._urls:
            self._append(url, resource, system, value)
        return url

    def _append(self, url: str, resource: Resource, system: str, value: str) -> None:
        self._urls.add(url)
        self._entries.append({
            "fullUrl": url,
            "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"],
                        "ifNoneExist": identifier_query(system, value)},
        })

    def bundle(self) -> dict[str, Any]:
        """The transaction Bundle (http://hl7.org/fhir/R4/http.html#transaction)."""
        return {"resourceType": "Bundle", "type": "transaction", "entry": list(self._entries)}
