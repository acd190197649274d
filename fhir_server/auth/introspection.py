"""Token introspection, RFC 7662, with the SMART fields (App Launch 2.2, token-introspection.html).

Callers authenticate as confidential clients (``client_secret_basic`` or ``private_key_jwt``). A
client may introspect the tokens issued to it; a resource server registered with
``introspect_any`` may introspect every token. Anything else (unknown, expired, revoked, or not
the caller's) is just ``{"active": false}``, as RFC 7662 section 2.2 asks.

An active token's answer: ``active``, ``scope``, ``client_id``, ``exp``, ``iat``, ``iss``,
``token_type``; ``sub`` and, with ``fhirUser``, the absolute ``fhirUser`` URL; the launch
context ``patient`` and ``encounter``; ``purpose_of_use`` for break-the-glass tokens.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from fhir_server.auth.scopes import Scopes
from fhir_server.auth.tokens import Token


class SmartIntrospectionEndpoint(IntrospectionEndpoint):  # type: ignore[misc]  # authlib is untyped
    CLIENT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]

    @property
    def service(self) -> Any:
        return self.server.service

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return self.service.tokens.find(token_string, token_type_hint)

    def check_permission(self, token: Token, client: Any, request: Any) -> bool:
        return bool(getattr(client, "introspect_any", False)) or token.check_client(client)

    def introspect_token(self, token: Token) -> dict[str, Any]:
        doc = token.doc
        scope = token.get_scope()
        payload: dict[str, Any] = {
            "active": True,
            "scope": scope,
            "client_id": token.client_id,
            "exp": int(token.expires_at().timestamp()),
            "iat": int(doc["iat"].timestamp()),
            "iss": self.service.issuer,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
        }
        if doc.get("subject"):
            payload["sub"] = doc["subject"]
            payload["username"] = doc["subject"]
        if doc.get("fhir_user") and "fhirUser" in Scopes(scope):
            payload["fhirUser"] = f"{self.service.base_url}/{doc['fhir_user']}"
        for key in ("patient", "encounter"):
            if doc.get(key):
                payload[key] = doc[key]
        if doc.get("purpose"):
            payload["purpose_of_use"] = doc["purpose"]
        return payload
