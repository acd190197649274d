"""The FHIR RESTful API as plain values: requests in, responses out, no web framework.

The HTTP layer (``web.http_api``), batch/transaction processing (``interactions.transaction.batch``)
and loading (``ingest``) all build a :class:`FhirRequest` and call :meth:`Context.dispatch`, so a bundle
entry goes through exactly the same interaction code, access policy included, as a direct HTTP request.
The :class:`Context` is made by :func:`fhir_server.routes.make_context`, which gives it the routing table;
this module imports nothing above it. See http://hl7.org/fhir/R4/http.html.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pymongo.client_session import ClientSession

if TYPE_CHECKING:
    from fhir_server.access.policy import AccessPolicy
    from fhir_server.config import Settings
    from fhir_server.storage.store import ResourceStore


class Headers(dict[str, str]):
    """Case-insensitive request headers (keys stored lower-case)."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__()
        for key, value in dict(items).items():
            self[key.lower()] = value

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class FhirRequest:
    method: str
    path: list[str]
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: Headers = field(default_factory=Headers)
    body: Any = None
    # Set when the request is one entry of a transaction: its writes join that transaction.
    session: ClientSession | None = None
    # The id a transaction assigned to this create beforehand, so references to it can be rewritten.
    assigned_id: str | None = None

    def param(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    @cached_property
    def prefer(self) -> dict[str, str]:
        """The ``Prefer`` header as a dict (parsed once: a transaction reads it for every entry)."""
        out: dict[str, str] = {}
        for part in (self.headers.get("prefer") or "").split(";"):
            for item in part.split(","):
                key, _, value = item.strip().partition("=")
                if key:
                    out[key.strip().lower()] = value.strip().strip('"')
        return out


@dataclass
class FhirResponse:
    status: int
    resource: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["Context", FhirRequest], FhirResponse]


@dataclass
class Context:
    """What an interaction needs from the server: settings, storage, the access policy and the router.

    Made by :func:`fhir_server.routes.make_context`; a request with a token gets a copy holding that
    token's policy (:func:`dataclasses.replace`).
    """

    settings: Settings
    store: ResourceStore
    policy: AccessPolicy
    router: Handler

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def in_transaction(self, req: FhirRequest, work: Callable[[ClientSession], Any]) -> Any:
        """Run a write in the request's transaction (a bundle entry) or in a new one of its own."""
        if req.session is not None:
            return work(req.session)
        return self.store.transaction(work)

    def dispatch(self, req: FhirRequest) -> FhirResponse:
        """Serve ``req`` with the interaction the routing table names for it."""
        return self.router(self, req)

