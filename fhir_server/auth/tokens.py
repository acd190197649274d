"""Bearer tokens (RFC 6750) and refresh tokens: issuing, storing, finding, revoking.

Tokens are opaque 256-bit random strings; the database keeps only their SHA-256, so a leaked
database holds no usable token, and a revocation takes effect at the very next request because
every request looks its token up (no self-contained JWT to outlive it).

One stored document per issued access token, with the refresh token issued beside it (``rt``).
Every token born of one authorization shares a ``family``: replaying a used authorization code
or a rotated refresh token, or revoking a refresh token, revokes the whole family.

Lifetimes: access tokens 1 hour (backend services 5 minutes, as SMART recommends); refresh tokens
30 days with ``offline_access``, 8 hours with ``online_access``; a rotated refresh token keeps the
expiry of the first one, so refreshing never extends an authorization.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import TokenMixin

from fhir_server.auth.passwords import token_digest
from fhir_server.auth.scopes import Scopes
from fhir_server.auth.storage import AuthStore, aware, utcnow

ACCESS_LIFETIME = timedelta(hours=1)
BACKEND_LIFETIME = timedelta(minutes=5)
OFFLINE_LIFETIME = timedelta(days=30)
ONLINE_LIFETIME = timedelta(hours=8)
KEEP_AFTER_EXPIRY = timedelta(days=1)  # expired documents stay a day for introspection answers


@dataclass
class Authorization:
    """Who is authorized and in which context: the "user" that authlib's grants pass around."""

    subject: str | None = None  # user name; None for a backend service
    role: str | None = None
    fhir_user: str | None = None
    patient: str | None = None
    encounter: str | None = None
    purpose: str | None = None  # BTG / ETREAT (break-the-glass)
    reason: str | None = None  # the emergency declared for break-the-glass
    scope: str | None = None  # what the user granted on the consent screen
    nonce: str | None = None
    auth_time: int | None = None
    family: str | None = None
    refresh_scope: str | None = None  # on refresh: the scope of the refresh token presented
    refresh_expires: datetime | None = None

    def to_doc(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Authorization:
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})


class Token(TokenMixin):  # type: ignore[misc]  # authlib is untyped
    """A stored token document seen through authlib's TokenMixin."""

    def __init__(self, doc: dict[str, Any], kind: str = "access_token") -> None:
        self.doc = doc
        self.kind = kind

    @property
    def client_id(self) -> str:
        return str(self.doc["client_id"])

    @property
    def authorization(self) -> Authorization:
        return Authorization.from_doc(self.doc)

    def check_client(self, client: Any) -> bool:
        return bool(client) and self.client_id == client.get_client_id()

    def get_scope(self) -> str:
        if self.kind == "refresh_token":
            return str(self.doc.get("rt_scope") or self.doc.get("scope") or "")
        return str(self.doc.get("scope") or "")

    def expires_at(self) -> datetime:
        key = "rt_exp" if self.kind == "refresh_token" else "exp"
        return aware(self.doc[key])

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at() - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return self.expires_at() <= utcnow()

    def is_revoked(self) -> bool:
        return bool(self.doc.get("revoked")) or (self.kind == "refresh_token" and bool(self.doc.get("rt_used")))

    def get_user(self) -> Authorization:
        return self.authorization

    @property
    def scopes(self) -> Scopes:
        return Scopes(self.get_scope())


class TokenService:
    def __init__(self, store: AuthStore) -> None:
        self.store = store

    # -- issuing (authlib token generator + save_token) ----------------------------------------
    def generate(self, grant_type: str, client: Any, user: Authorization | None = None, scope: str | None = None,
                 expires_in: int | None = None, include_refresh_token: bool = True) -> dict[str, Any]:
        """The token response body (RFC 6749 section 5.1) plus the SMART launch context."""
        from authlib.oauth2.rfc6749 import InvalidScopeError

        granted = client.get_allowed_scope(scope)
        if granted is None:
            raise InvalidScopeError("None of the requested scopes can be granted to this client")
        user = user or Authorization()
        lifetime = BACKEND_LIFETIME if grant_type == "client_credentials" else ACCESS_LIFETIME
        token: dict[str, Any] = {"token_type": "Bearer", "access_token": secrets.token_urlsafe(32),
                                 "expires_in": int(lifetime.total_seconds()), "scope": granted}
        refresh_basis = Scopes(user.refresh_scope or granted)
        if include_refresh_token and client.check_grant_type("refresh_token") and (
                "offline_access" in refresh_basis or "online_access" in refresh_basis):
            token["refresh_token"] = secrets.token_urlsafe(32)
        if user.patient and ("launch/patient" in Scopes(granted) or "launch" in Scopes(granted)
                             or any(s.context == "patient" for s in Scopes(granted).resource)):
            token["patient"] = user.patient
        if user.encounter and ("launch/encounter" in Scopes(granted) or "launch" in Scopes(granted)):
            token["encounter"] = user.encounter
        if user.purpose:
            token["purpose_of_use"] = user.purpose
        return token

    def save(self, token: dict[str, Any], client_id: str, grant_type: str, user: Authorization | None) -> None:
        user = user or Authorization()
        now = utcnow()
        lifetime = timedelta(seconds=int(token.get("expires_in", ACCESS_LIFETIME.total_seconds())))
        doc: dict[str, Any] = {
            **user.to_doc(),
            "_id": token_digest(token["access_token"]),
            "client_id": client_id,
            "grant_type": grant_type,
            "scope": token.get("scope", ""),
            "family": user.family or uuid.uuid4().hex,
            "iat": now,
            "exp": now + lifetime,
            "revoked": False,
        }
        for transient in ("refresh_scope", "refresh_expires", "nonce"):
            doc.pop(transient, None)
        purge = doc["exp"]
        if token.get("refresh_token"):
            basis = Scopes(user.refresh_scope or token.get("scope", ""))
            default = OFFLINE_LIFETIME if "offline_access" in basis else ONLINE_LIFETIME
            doc.update(rt=token_digest(token["refresh_token"]), rt_scope=user.refresh_scope or token.get("scope", ""),
                       rt_exp=user.refresh_expires or now + default, rt_used=False)
            purge = max(purge, doc["rt_exp"])
        doc["purge"] = purge + KEEP_AFTER_EXPIRY
        self.store.tokens.insert_one(doc)

    # -- finding -------------------------------------------------------------------------------
    def find(self, value: str, hint: str | None = None) -> Token | None:
        """The token whose string is ``value`` (access or refresh; ``hint`` says which to try first)."""
        if not isinstance(value, str) or not value:
            return None
        digest = token_digest(value)
        order = ["refresh_token", "access_token"] if hint == "refresh_token" else ["access_token", "refresh_token"]
        for kind in order:
            doc = self.store.tokens.find_one({"_id": digest} if kind == "access_token" else {"rt": digest})
            if doc:
                return Token(doc, kind)
        return None

    def active_access_token(self, value: str) -> Token | None:
        token = self.find(value)
        if token is None or token.kind != "access_token" or token.is_expired() or token.is_revoked():
            return None
        return token

    def claim_refresh_token(self, token: Token) -> bool:
        """Mark a refresh token used, atomically: of two concurrent refreshes only one wins."""
        result = self.store.tokens.update_one({"_id": token.doc["_id"], "rt_used": False, "revoked": False},
                                              {"$set": {"rt_used": True}})
        return result.modified_count == 1

    # -- revoking --------------------------------------------------------------------------------
    def revoke(self, token: Token) -> None:
        """RFC 7009: a refresh token takes its whole family with it; an access token goes alone."""
        if token.kind == "refresh_token":
            self.revoke_family(str(token.doc["family"]))
        else:
            self.store.tokens.update_one({"_id": token.doc["_id"]}, {"$set": {"revoked": True}})

    def revoke_family(self, family: str) -> None:
        self.store.tokens.update_many({"family": family}, {"$set": {"revoked": True}})

    def revoke_subject(self, subject: str) -> int:
        return self.store.tokens.update_many({"subject": subject}, {"$set": {"revoked": True}}).modified_count


def refreshed(authorization: Authorization, token: Token) -> Authorization:
    """The authorization a refresh continues: same people and context, same family and refresh limits."""
    return replace(authorization, family=str(token.doc["family"]), refresh_scope=token.get_scope(),
                   refresh_expires=aware(token.doc["rt_exp"]))
