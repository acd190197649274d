"""SMART Backend Services (App Launch 2.2, backend-services.html): client_credentials + private_key_jwt.

The client authenticates with a JWT assertion (RFC 7523 section 2.2, ``private_key_jwt``) signed
with RS384 or ES384 by a key registered as a JWKS or published at the client's JWKS URL:
``iss`` = ``sub`` = client id, ``aud`` = the token endpoint, ``exp`` at most five minutes ahead,
a ``jti`` never seen before (kept until the assertion expires). It gets a short-lived access
token with the ``system/`` scopes it asked for and is registered for; no refresh token.

The same assertion authenticates confidential-asymmetric apps at the token, introspection and
revocation endpoints.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pymongo.errors import DuplicateKeyError

from fhir_server.auth.scopes import Scopes
from fhir_server.auth.tokens import Authorization

if TYPE_CHECKING:
    from fhir_server.auth.server import AuthService

log = logging.getLogger(__name__)
ALGORITHMS = ["RS384", "ES384"]
MAX_ASSERTION_LIFETIME = 300  # seconds (SMART: exp no more than five minutes in the future)
JWKS_CACHE_SECONDS = 300
_jwks_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def fetch_jwks(url: str) -> dict[str, Any]:
    """The JWKS a client publishes, cached for a few minutes (SMART: "JWK Set URL")."""
    cached = _jwks_cache.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    response = requests.get(url, timeout=5, headers={"Accept": "application/json"})
    response.raise_for_status()
    jwks = response.json()
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError(f"{url} did not return a JWK Set")
    _jwks_cache[url] = (time.monotonic() + JWKS_CACHE_SECONDS, jwks)
    return jwks


class PrivateKeyJWT(JWTBearerClientAssertion):  # type: ignore[misc]  # authlib is untyped
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, service: AuthService) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self.service = service

    def get_audiences(self) -> list[str]:
        names = ("token", "introspect", "revoke")
        return [self.service.endpoint(n) for n in names]

    def resolve_client_public_key(self, client: Any) -> KeySet:
        """The keys of a ``private_key_jwt`` client. Any other client (public, secret) has none and
        cannot authenticate this way; answers stay plain, the details go to the log only (an
        exception's text would show the server's view of a JWKS URL: addresses, ports, errors)."""
        if client.auth_method != self.CLIENT_AUTH_METHOD or not (client.jwks or client.jwks_uri):
            raise InvalidClientError(description="Client authentication failed")
        try:
            jwks = client.jwks or fetch_jwks(client.jwks_uri)
            return KeySet.import_key_set(jwks)
        except (requests.RequestException, ValueError, JoseError) as exc:
            log.warning("client %s: its public keys cannot be obtained: %s", client.client_id, exc)
            raise InvalidClientError(description="The client's public keys could not be obtained") from exc

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ALGORITHMS)
        except JoseError as exc:
            raise InvalidClientError(description=f"Invalid client assertion: {exc.description or exc.error}") from exc
        claims = token.claims
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp > time.time() + MAX_ASSERTION_LIFETIME + self.leeway:
            raise InvalidClientError(description="The client assertion's 'exp' is more than five minutes ahead")
        self.verify_claims(claims)
        return claims

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        expires = datetime.fromtimestamp(float(claims.get("exp", time.time())), UTC) + timedelta(minutes=10)
        try:
            self.service.auth_store.jti.insert_one({"_id": f"{claims['sub']}|{jti}", "purge": expires})
        except DuplicateKeyError:
            return False
        return True


class BackendServicesGrant(ClientCredentialsGrant):  # type: ignore[misc]  # authlib is untyped
    TOKEN_ENDPOINT_AUTH_METHODS = ["private_key_jwt"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        granted = self.request.client.get_allowed_scope(self.request.payload.scope)
        if not granted or not any(s.context == "system" for s in Scopes(granted).resource):
            raise InvalidScopeError("Backend services are granted system/ scopes only, and none was requested")

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        requested = " ".join(s.text for s in Scopes(self.request.payload.scope).resource if s.context == "system")
        user = Authorization(subject=None, role=None)
        self.request.user = user
        token = self.generate_token(user=user, scope=requested, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
