"""OpenID Connect for SMART (App Launch 2.2, "Scopes for requesting identity data").

With ``openid fhirUser`` the token response carries an RS256 ``id_token`` signed with the
server's key (published at the JWKS endpoint): ``iss`` is the FHIR base URL, ``aud`` the client,
``sub`` the user name, ``fhirUser`` the absolute URL of the user's FHIR resource (Patient,
RelatedPerson or Practitioner), ``amr`` ``["pwd", "otp"]`` (RFC 8176) for the two-stage login.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin

from fhir_server.auth.scopes import Scopes
from fhir_server.auth.tokens import Authorization

if TYPE_CHECKING:
    from fhir_server.auth.server import AuthService


class StoredCode(AuthorizationCodeMixin):  # type: ignore[misc]  # authlib is untyped
    """An authorization code document seen through authlib's (OIDC) AuthorizationCodeMixin."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    @property
    def authorization(self) -> Authorization:
        return Authorization.from_doc(self.doc["user"])

    def get_redirect_uri(self) -> str:
        return str(self.doc["redirect_uri"])

    def get_scope(self) -> str:
        return str(self.doc["scope"])

    def get_nonce(self) -> str | None:
        return self.doc["user"].get("nonce")

    def get_auth_time(self) -> int | None:
        return self.doc["user"].get("auth_time")

    def get_amr(self) -> list[str]:
        return ["pwd", "otp"]


class SmartOpenID(OpenIDCode):  # type: ignore[misc]  # authlib is untyped
    def __init__(self, service: AuthService) -> None:
        super().__init__(require_nonce=False)
        self.service = service

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return self.service.auth_store.codes.find_one({"user.nonce": nonce, "client_id": request.payload.client_id}) \
            is not None

    def resolve_client_private_key(self, client: Any) -> Any:
        return self.service.key.key

    def get_client_algorithm(self, client: Any) -> str:
        return "RS256"

    def get_encode_header(self, client: Any) -> dict[str, str]:
        return {"alg": "RS256", "kid": self.service.key.kid, "typ": "JWT"}

    def get_client_claims(self, client: Any) -> dict[str, Any]:
        return {"iss": self.service.issuer, "aud": [client.get_client_id()]}

    def generate_user_info(self, user: Authorization, scope: str) -> dict[str, Any]:
        claims: dict[str, Any] = {"sub": user.subject}
        if "fhirUser" in Scopes(scope) and user.fhir_user:
            claims["fhirUser"] = f"{self.service.base_url}/{user.fhir_user}"
        return claims
