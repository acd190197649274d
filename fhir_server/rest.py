"""The FHIR RESTful API as plain values: requests in, responses out, no web framework.

The HTTP layer (``http_api``) and batch/transaction processing (``interactions.batch``) both
build a :class:`FhirRequest` and call :func:`dispatch`, so a bundle entry goes through exactly the
same interaction code, access policy included, as a direct HTTP request.
See http://hl7.org/fhir/R4/http.html.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pymongo.client_session import ClientSession

from fhir_server.access.policy import AccessPolicy, OpenAccess
from fhir_server.config import Settings
from fhir_server.errors import BadRequest, MethodNotAllowed, NotFound
from fhir_server.spec.resource_types import is_resource_type
from fhir_server.storage.store import ResourceStore

ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class Headers(dict[str, str]):
    """Case-insensitive request headers (keys stored lower-case)."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__()
        for key, value in dict(items).items():
            self[key.lower()] = value

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
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


@dataclass
class Context:
    """What an interaction needs from the server: settings, storage and the access policy."""

    settings: Settings
    store: ResourceStore
    policy: AccessPolicy = field(default_factory=OpenAccess)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def in_transaction(self, req: FhirRequest, work: Callable[[ClientSession], Any]) -> Any:
        """Run a write in the request's transaction (a bundle entry) or in a new one of its own."""
        if req.session is not None:
            return work(req.session)
        return self.store.transaction(work)


Handler = Callable[[Context, FhirRequest], FhirResponse]


def check_type(rtype: str) -> str:
    if not is_resource_type(rtype):
        raise NotFound(f"Unknown resource type '{rtype}'")
    return rtype


def check_id(rid: str) -> str:
    if not ID_PATTERN.match(rid):
        raise BadRequest(f"'{rid}' is not a valid resource id (1-64 of A-Z a-z 0-9 - .)")
    return rid


def dispatch(ctx: Context, req: FhirRequest) -> FhirResponse:
    """Route one request to its interaction by method and path shape."""
    from fhir_server import routes  # the table imports every interaction module

    handler = routes.resolve(req.method, req.path)
    if handler is None:
        if routes.path_known(req.path):
            raise MethodNotAllowed(f"{req.method} is not supported on /{'/'.join(req.path)}")
        raise NotFound(f"No such endpoint: /{'/'.join(req.path)}")
    return handler(ctx, req)
