"""Token revocation, RFC 7009: effective at once, for access and refresh tokens.

Any client may revoke the tokens issued to it (public clients identify themselves with
``client_id``). Revoking a refresh token revokes every token of its authorization; revoking an
access token revokes it (and the refresh token issued with it). The next request with a revoked
access token gets 401, because every request looks its token up. Unknown tokens answer 200 too
(RFC 7009 section 2.2).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint

from fhir_server.auth.tokens import Token


class SmartRevocationEndpoint(RevocationEndpoint):  # type: ignore[misc]  # authlib is untyped
    CLIENT_AUTH_METHODS = ["none", "client_secret_basic", "private_key_jwt"]

    @property
    def service(self) -> Any:
        return self.server.service

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return self.service.tokens.find(token_string, token_type_hint)

    def revoke_token(self, token: Token, request: Any) -> None:
        self.service.tokens.revoke(token)
