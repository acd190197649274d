"""Refresh tokens (App Launch 2.2, "Refresh access token"; RFC 6749 section 6).

A refresh may narrow the scopes, never widen them (authlib checks the requested scope against the
refresh token's). Refresh tokens rotate: each use issues a new one and retires the old one, which
is claimed atomically after every check passed, so two concurrent refreshes cannot both succeed
and a failed attempt (say, a scope escalation) does not burn a good token. Presenting a retired
refresh token again is a replay: the whole family is revoked (OAuth 2.0 Security BCP, RFC 9700
section 4.14).

A public app may refresh without ``client_id`` (SMART's JavaScript fhirclient sends only
``grant_type`` and ``refresh_token``): when a request carries no client identification at all,
the client is the one the refresh token was issued to, provided that client is public
(``token_endpoint_auth_method`` ``none``), which proves nothing more than ``client_id`` would.
A confidential client must still authenticate.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError, InvalidGrantError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import RefreshTokenGrant

from fhir_server.auth.scopes import Scopes, narrow
from fhir_server.auth.tokens import Authorization, Token, refreshed

CLIENT_AUTH = ["none", "client_secret_basic", "private_key_jwt"]


class SmartRefreshTokenGrant(RefreshTokenGrant):  # type: ignore[misc]  # authlib is untyped
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    @property
    def service(self) -> Any:
        return self.server.service

    def authenticate_token_endpoint_client(self) -> Any:
        if self._identifies_client():
            return super().authenticate_token_endpoint_client()
        token = self.service.tokens.find(self.request.form.get("refresh_token"), "refresh_token")
        if token is None or token.kind != "refresh_token":
            raise InvalidGrantError("The refresh token is invalid, expired or revoked")
        client = self.service.clients.get(token.client_id)
        if client is None or not client.is_public:
            raise InvalidClientError(status_code=401, description="The client must authenticate")
        self.request.auth_method = "none"
        self.server.send_signal("after_authenticate_client", client=client, grant=self)
        return client

    def _identifies_client(self) -> bool:
        """Whether the request names or authenticates a client in any of the usual ways."""
        form = self.request.form
        return bool(self.request.payload.client_id or self.request.headers.get("Authorization")
                    or form.get("client_assertion") or form.get("client_assertion_type") or form.get("client_secret"))

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        token = self.service.tokens.find(refresh_token, "refresh_token")
        if token is None or token.kind != "refresh_token":
            return None
        if token.doc.get("rt_used") and not token.doc.get("revoked"):
            self.service.tokens.revoke_family(str(token.doc["family"]))  # a replayed, rotated token
            return None
        if token.is_revoked() or token.is_expired():
            return None
        return token

    def _validate_token_scope(self, token: Token) -> None:
        """Every scope asked for must be covered by one granted: ``patient/Observation.rs`` narrows
        ``patient/*.rs``; anything the refresh token does not cover is an escalation."""
        requested = self.request.payload.scope
        if not requested:
            return
        if set(Scopes(narrow(requested, token.get_scope())).names) != set(Scopes(requested).names):
            raise InvalidScopeError("A refresh can narrow the scopes granted, never widen them")

    def validate_token_request(self) -> None:
        super().validate_token_request()
        if not self.service.tokens.claim_refresh_token(self.request.refresh_token):
            raise InvalidGrantError("The refresh token was used already")

    def authenticate_user(self, refresh_token: Token) -> Authorization:
        return refreshed(refresh_token.authorization, refresh_token)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        return None  # claimed in validate_token_request
