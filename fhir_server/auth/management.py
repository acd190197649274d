"""The management endpoint (SMART ``management_endpoint``): which apps hold access, and revoking it.

After the same two-stage login, the user sees every authorization still alive on their account
(one line per authorization: app, scopes, since when, break-the-glass purpose) and can revoke any
of them; the revocation reaches every token of that authorization at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, request

from fhir_server.auth import login as login_flow
from fhir_server.auth import pages
from fhir_server.auth.storage import utcnow

if TYPE_CHECKING:
    from fhir_server.auth.server import AuthService


def live_authorizations(service: AuthService, username: str) -> list[dict[str, Any]]:
    now = utcnow()
    query = {"subject": username, "revoked": False,
             "$or": [{"exp": {"$gt": now}}, {"rt_exp": {"$gt": now}, "rt_used": False}]}
    families: dict[str, dict[str, Any]] = {}
    for doc in service.auth_store.tokens.find(query).sort("iat", 1):
        family = families.setdefault(doc["family"], {"family": doc["family"], "client_id": doc["client_id"],
                                                     "scope": doc.get("rt_scope") or doc["scope"], "since": doc["iat"],
                                                     "purpose": doc.get("purpose"), "patient": doc.get("patient")})
        family["since"] = min(family["since"], doc["iat"])
    out = list(families.values())
    for item in out:
        client = service.clients.get(item["client_id"])
        item["client_name"] = client.name if client else item["client_id"]
        item["since"] = item["since"].strftime("%Y-%m-%d %H:%M UTC")
    return out


def page(service: AuthService) -> Response:
    login = login_flow.current(service, "manage")
    if login is None:
        if request.method == "POST":
            return login_flow.expired()
        return login_flow.start(service, None)
    username = login["user"]
    info = None
    if request.method == "POST":
        if request.form.get("action") == "logout":
            return login_flow.finish(service, login, pages.message("Вы вышли · Signed out", ""))
        family = str(request.form.get("family", ""))
        if service.auth_store.tokens.count_documents({"family": family, "subject": username}, limit=1):
            service.tokens.revoke_family(family)
            info = "Доступ отозван. Access revoked."
    return pages.page("manage.html", action=service.endpoint("manage"), csrf=login["csrf"], info=info,
                      grants=live_authorizations(service, username), username=username)
