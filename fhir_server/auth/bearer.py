"""The resource-server side: bearer tokens on FHIR requests (RFC 6750) -> a per-request policy.

Every FHIR request except ``GET [base]/metadata`` (and the discovery documents, served by their own
routes) needs ``Authorization: Bearer <token>``. A missing, unknown, expired or revoked token is a
401 with ``WWW-Authenticate: Bearer`` (RFC 6750 section 3, with ``error="invalid_token"`` when a
token was given). A valid token becomes an ``access_policy.Access`` and then a policy, built again
at every request so that facts that change (a guardian's link, a child's age, a clinician's care
relationships, a revocation) take effect at once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from fhir_server.access import policy as access_policy
from fhir_server.auth.scopes import Scopes
from fhir_server.auth.tokens import Token
from fhir_server.errors import Unauthorized

if TYPE_CHECKING:
    from fhir_server.auth.server import AuthService
    from fhir_server.rest import Context

OPEN_PATHS = {("GET", "metadata"), ("HEAD", "metadata")}


def authenticate_header(service: AuthService, header: str | None) -> Token | None:
    if not header:
        return None
    kind, _, value = header.partition(" ")
    if kind.lower() != "bearer" or not value.strip():
        return None
    return service.tokens.active_access_token(value.strip())


def access_of(service: AuthService, token: Token) -> access_policy.Access:
    doc = token.doc
    links: tuple[str, ...] = ()
    if doc.get("role") == "guardian" and doc.get("subject"):
        user = service.accounts.get(doc["subject"])
        links = tuple(user.links) if user and not user.disabled else ()
    return access_policy.Access(client_id=token.client_id, scopes=Scopes(doc.get("scope")), role=doc.get("role"),
                                subject=doc.get("subject"), fhir_user=doc.get("fhir_user"),
                                patient=doc.get("patient"), encounter=doc.get("encounter"),
                                purpose=doc.get("purpose"), reason=doc.get("reason"), links=links)


def policy_of(service: AuthService, token: Token) -> access_policy.TokenPolicy:
    return access_policy.policy_for(access_of(service, token), service.resources)


def _challenge(service: AuthService, error: str | None) -> dict[str, str]:
    value = f'Bearer realm="{service.base_url}"'
    if error:
        value += f', error="{error}"'
    return {"WWW-Authenticate": value}


def request_context(service: AuthService, ctx: Context, method: str, path: list[str],
                    authorization: str | None) -> Context:
    """The context of one FHIR request: the app-wide one with this token's policy in it."""
    if (method.upper(), "/".join(path)) in OPEN_PATHS:
        return ctx
    if not authorization:
        raise Unauthorized("This server needs an access token (Authorization: Bearer ...); "
                           "see .well-known/smart-configuration", headers=_challenge(service, None))
    token = authenticate_header(service, authorization)
    if token is None:
        raise Unauthorized("The access token is invalid, expired or revoked",
                           headers=_challenge(service, "invalid_token"))
    policy = policy_of(service, token)
    # What a user's token writes is marked, so that it never counts as a fact of anyone's reach.
    store = ctx.store if policy.access.role is None else ctx.store.written_by_user()
    return replace(ctx, policy=policy, store=store)
