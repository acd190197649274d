"""The one access-policy layer: every interaction asks it before returning or changing data.

A policy answers three questions: may this stored document be seen (``visible``), which extra
MongoDB filter narrows a search of a type (``search_filter``), and may this resource be written
(``check_write``). A document that is not visible is answered exactly like an absent one.

Without authentication (``FHIR_AUTH=off``, loopback only) the server runs with
:class:`OpenAccess`; token-based policies plug in behind the same three methods.
"""

from __future__ import annotations

from typing import Any, Protocol


class AccessPolicy(Protocol):
    def visible(self, doc: dict[str, Any]) -> bool: ...

    def search_filter(self, resource_type: str) -> dict[str, Any]: ...

    def check_write(self, resource_type: str, resource: dict[str, Any] | None) -> None: ...


class OpenAccess:
    """Everything is reachable: the policy of a server bound to loopback with FHIR_AUTH=off."""

    def visible(self, doc: dict[str, Any]) -> bool:
        return True

    def search_filter(self, resource_type: str) -> dict[str, Any]:
        return {}

    def check_write(self, resource_type: str, resource: dict[str, Any] | None) -> None:
        return None
