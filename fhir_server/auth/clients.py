"""Registered client applications (RFC 6749 section 2; SMART "client-public", "client-confidential-*").

A client authenticates at the token endpoint in exactly one way, chosen at registration:

- ``none``: a public app (browser, mobile) that cannot keep a secret; PKCE protects its codes;
- ``client_secret_basic``: a confidential app with a secret (stored as a scrypt hash);
- ``private_key_jwt``: a confidential app that signs a JWT assertion (RFC 7523) with a key whose
  public part is registered as a JWKS or published at a JWKS URL (SMART backend services).

``scope`` is what the client may ever be granted; a request is narrowed to it.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin

from fhir_server.auth import scopes as smart_scopes
from fhir_server.auth.passwords import hash_secret, verify_secret
from fhir_server.auth.storage import AuthStore

AUTH_METHODS = ("none", "client_secret_basic", "private_key_jwt")
USER_GRANTS = ["authorization_code", "refresh_token"]


@dataclass
class Client(ClientMixin):  # type: ignore[misc]  # authlib is untyped
    client_id: str
    name: str
    auth_method: str = "none"
    redirect_uris: list[str] = field(default_factory=list)
    scope: str = ""
    grant_types: list[str] = field(default_factory=lambda: list(USER_GRANTS))
    secret_hash: str | None = None
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    launch_uri: str | None = None
    #: a resource server that may introspect any token (RFC 7662 section 4), not just its own
    introspect_any: bool = False

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Client:
        data = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        return cls(client_id=doc["_id"], **{k: v for k, v in data.items() if k != "client_id"})

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["_id"] = doc.pop("client_id")
        return doc

    @property
    def is_public(self) -> bool:
        return self.auth_method == "none"

    # -- authlib ClientMixin ------------------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # SMART makes redirect_uri a required authorize parameter, so there is no default.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        allowed = smart_scopes.narrow(scope, self.scope)
        return allowed or None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.auth_method == "client_secret_basic" and verify_secret(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


class ClientRegistry:
    def __init__(self, store: AuthStore) -> None:
        self.store = store

    def get(self, client_id: str | None) -> Client | None:
        if not isinstance(client_id, str) or not client_id:
            return None
        doc = self.store.clients.find_one({"_id": client_id})
        return Client.from_doc(doc) if doc else None

    def save(self, client: Client) -> None:
        if client.auth_method not in AUTH_METHODS:
            raise ValueError(f"auth method must be one of {', '.join(AUTH_METHODS)}")
        self.store.clients.replace_one({"_id": client.client_id}, client.to_doc(), upsert=True)

    def register(self, client: Client, secret: str | None = None) -> str | None:
        """Store ``client``; a confidential-symmetric client gets ``secret`` (or a new one), returned once."""
        if client.auth_method == "client_secret_basic":
            secret = secret or secrets.token_urlsafe(32)
            client.secret_hash = hash_secret(secret)
        else:
            secret = None
        if client.auth_method == "private_key_jwt" and not (client.jwks or client.jwks_uri):
            raise ValueError("a private_key_jwt client needs a JWKS or a JWKS URL")
        self.save(client)
        return secret

    def delete(self, client_id: str) -> bool:
        return self.store.clients.delete_one({"_id": client_id}).deleted_count == 1

    def all(self) -> list[Client]:
        return [Client.from_doc(d) for d in self.store.clients.find().sort("_id")]
