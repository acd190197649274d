"""PKCE, RFC 7636, as SMART App Launch 2.2 requires it: S256 only, for every client.

SMART ("Authorization code" section): apps SHALL use PKCE with ``code_challenge_method=S256``, and
servers SHALL reject ``plain``. authlib's :class:`CodeChallenge` would let a request without a
challenge through (plain RFC 6749) and accept ``plain``; this subclass refuses both, and asks
every client, confidential ones too, for the verifier.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge


class S256Required(CodeChallenge):  # type: ignore[misc]  # authlib is untyped
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: the request has no 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE 'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)

    def get_authorization_code_challenge(self, authorization_code: Any) -> str:
        return str(authorization_code.doc["code_challenge"])

    def get_authorization_code_challenge_method(self, authorization_code: Any) -> str:
        return str(authorization_code.doc.get("code_challenge_method", "S256"))
