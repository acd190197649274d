"""SMART App Launch 2.2 (app-launch.html): the authorization endpoint and the authorization code.

``GET`` or ``POST`` ``/auth/authorize`` (capability ``authorize-post``) takes ``response_type=code``,
``client_id``, ``redirect_uri`` (registered, exact match), ``scope``, ``state``, ``aud`` (must be
this server's FHIR base URL), ``code_challenge`` + ``code_challenge_method=S256`` (pkce.py) and,
for an EHR launch, ``launch``. A request that fails before its redirect URI is known is answered
with a page; later failures go back to the app as ``error`` + ``state`` (RFC 6749 section 4.1.2.1).

A valid request is kept in ``auth_requests`` and the browser goes through the two-stage login
(login.py) and the consent screen (consent.py); the consent replays the request through authlib,
which issues the code. Codes live two minutes and are single use: a second use revokes every token
issued from the first (RFC 6749 section 4.1.2).

EHR launch: the EHR (a clinician's or ambulance crew's token, or a backend service) asks
``POST /auth/launch`` for a launch id bound to a patient (and encounter); the app receives it with
``iss`` and passes it back as ``launch``; the token response then carries that context. A launch
id is single use: the first authorization request that presents it claims it atomically, and any
other request with it is refused, so a launch id seen in a URL or a log cannot start a second
authorization for the same patient.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from flask import Response, request

from fhir_server.auth.openid import StoredCode
from fhir_server.auth.passwords import token_digest
from fhir_server.auth.storage import aware, utcnow
from fhir_server.auth.tokens import Authorization

if TYPE_CHECKING:
    from fhir_server.auth.server import AuthService

CODE_LIFETIME = timedelta(minutes=2)
REQUEST_LIFETIME = timedelta(minutes=30)
LAUNCH_LIFETIME = timedelta(minutes=10)
UNKNOWN_LAUNCH = "Unknown, expired or already used 'launch'"


class SmartAuthorizationCodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]  # authlib is untyped
    TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_basic", "private_key_jwt"]

    @property
    def service(self) -> AuthService:
        return self.server.service  # type: ignore[no-any-return]  # authlib is untyped

    def save_authorization_code(self, code: str, request: Any) -> None:
        user: Authorization = request.user
        data = request.payload.data
        now = utcnow()
        self.service.auth_store.codes.insert_one({
            "_id": token_digest(code),
            "client_id": request.client.get_client_id(),
            "redirect_uri": request.payload.redirect_uri,
            "scope": user.scope or request.scope,
            "code_challenge": data.get("code_challenge"),
            "code_challenge_method": data.get("code_challenge_method"),
            "user": user.to_doc(),
            "exp": now + CODE_LIFETIME,
            "used": False,
            "purge": now + timedelta(days=1),
        })

    def query_authorization_code(self, code: str, client: Any) -> StoredCode | None:
        codes = self.service.auth_store.codes
        digest = token_digest(code)
        doc = codes.find_one_and_update({"_id": digest, "client_id": client.get_client_id(), "used": False},
                                        {"$set": {"used": True}})
        if doc is None:
            used = codes.find_one({"_id": digest, "client_id": client.get_client_id()})
            if used and used["user"].get("family"):
                self.service.tokens.revoke_family(used["user"]["family"])  # a replayed code
            return None
        if aware(doc["exp"]) <= utcnow():
            return None
        return StoredCode(doc)

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        return None  # marked used when it was looked up

    def authenticate_user(self, authorization_code: StoredCode) -> Authorization:
        return authorization_code.authorization


class SmartLaunchRules:
    """The SMART parameters authlib does not know: ``aud``, required ``state``, ``launch``."""

    def __init__(self, service: AuthService) -> None:
        self.service = service

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.validate)

    def validate(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        aud = (data.get("aud") or "").rstrip("/")
        if aud != self.service.base_url:
            raise InvalidRequestError(f"'aud' must be this FHIR server's base URL, {self.service.base_url}")
        if not data.get("state"):
            raise InvalidRequestError("'state' is required")
        launch = data.get("launch")
        holder = getattr(grant.request, "request_id", None)  # set when a kept request is replayed
        if launch and resolve_launch(self.service, launch, grant.request.client.get_client_id(), holder) is None:
            raise InvalidRequestError(UNKNOWN_LAUNCH)


# -- EHR launch contexts -------------------------------------------------------------------------

def create_launch(service: AuthService, patient: str, encounter: str | None = None, client_id: str | None = None,
                  created_by: str | None = None) -> str:
    launch = secrets.token_urlsafe(24)
    now = utcnow()
    service.auth_store.launches.insert_one({"_id": launch, "patient": patient, "encounter": encounter,
                                            "client_id": client_id, "created_by": created_by,
                                            "exp": now + LAUNCH_LIFETIME, "purge": now + LAUNCH_LIFETIME})
    return launch


def resolve_launch(service: AuthService, launch: str, client_id: str,
                   holder: str | None = None) -> dict[str, Any] | None:
    """The launch context, if it is alive, for this client, and not claimed by another request
    than ``holder`` (the kept authorization request that claimed it)."""
    doc = service.auth_store.launches.find_one({"_id": launch})
    if not doc or aware(doc["exp"]) <= utcnow():
        return None
    if doc.get("client_id") and doc["client_id"] != client_id:
        return None
    if doc.get("claimed") is not None and doc["claimed"] != holder:
        return None
    return doc


def claim_launch(service: AuthService, launch: str, client_id: str, holder: str) -> bool:
    """Bind an unclaimed launch id to the authorization request ``holder``, atomically: of two
    requests presenting the same id at once only one gets it."""
    claimed = service.auth_store.launches.find_one_and_update(
        {"_id": launch, "claimed": None, "exp": {"$gt": utcnow()},
         "$or": [{"client_id": None}, {"client_id": client_id}]},
        {"$set": {"claimed": holder}})
    return claimed is not None


# -- views ---------------------------------------------------------------------------------------

def authorize(service: AuthService) -> Response:
    """``GET``/``POST`` the authorization endpoint: validate, keep the request, start the login."""
    from fhir_server.auth import login, pages

    server = service.server
    oauth_request = server.create_oauth2_request(None)
    try:
        grant = server.get_consent_grant(request=oauth_request, end_user=None)
    except OAuth2Error as error:
        if error.redirect_uri:
            return server.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]  # authlib is untyped
        return pages.message("Ошибка запроса авторизации / Invalid authorization request",
                             error.get_error_description() or error.error, status=400)
    params = {k: v for k, v in oauth_request.payload.data.items()}
    request_id = uuid.uuid4().hex
    client_id = grant.client.get_client_id()
    if params.get("launch") and not claim_launch(service, params["launch"], client_id, request_id):
        error = InvalidRequestError(UNKNOWN_LAUNCH, state=params.get("state"), redirect_uri=grant.redirect_uri)
        return server.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]  # authlib is untyped
    now = utcnow()
    service.auth_store.requests.insert_one({"_id": request_id, "params": params, "uri": oauth_request.uri,
                                            "client_id": client_id,
                                            "purge": now + REQUEST_LIFETIME})
    return login.start(service, request_id)


def stored_request(service: AuthService, request_id: str) -> dict[str, Any] | None:
    return service.auth_store.requests.find_one({"_id": request_id})


def issue_code(service: AuthService, request_id: str, user: Authorization | None) -> Response:
    """Replay the kept request through authlib with the consented authorization (None: denied)."""
    from fhir_server.auth.server import StoredRequest

    kept = stored_request(service, request_id)
    if kept is None:
        from fhir_server.auth import pages

        return pages.message("Сеанс входа истёк / The sign-in session expired",
                             "Вернитесь в приложение и начните заново. Go back to the app and start again.",
                             status=400)
    replay = StoredRequest(kept["uri"], kept["params"], request_id)
    server = service.server
    try:
        grant = server.get_consent_grant(request=replay, end_user=user)
    except OAuth2Error as error:
        return server.handle_error_response(replay, error)  # type: ignore[no-any-return]  # authlib is untyped
    service.auth_store.requests.delete_one({"_id": request_id})
    return server.create_authorization_response(request=replay, grant_user=user, grant=grant)  # type: ignore[no-any-return]  # authlib is untyped


def launch_endpoint(service: AuthService) -> Response:
    """``POST /auth/launch``: an EHR session asks for a launch id bound to a patient (and encounter)."""
    from flask import jsonify

    from fhir_server.auth.bearer import authenticate_header, policy_of

    token = authenticate_header(service, request.headers.get("Authorization"))
    if token is None or not (token.doc.get("role") in ("clinician", "ambulance") or token.doc.get("role") is None):
        return Response('{"error": "invalid_token"}', status=401, content_type="application/json",
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    body = request.get_json(silent=True) or request.form
    patient, encounter, client_id = body.get("patient"), body.get("encounter"), body.get("client_id")
    policy = policy_of(service, token)
    doc = service.resources.current("Patient", str(patient)) if patient else None
    if doc is None or doc.get("del") or not policy.visible(doc):
        return jsonify({"error": "invalid_request", "error_description": "Unknown patient"}), 400  # type: ignore[return-value]  # flask accepts (body, status)
    launch = create_launch(service, str(patient), encounter, client_id, token.doc.get("subject") or token.client_id)
    out: dict[str, Any] = {"launch": launch, "iss": service.base_url}
    client = service.clients.get(client_id) if client_id else None
    if client and client.launch_uri:
        out["launch_url"] = f"{client.launch_uri}?{urlencode({'iss': service.base_url, 'launch': launch})}"
    response = jsonify(out)
    response.headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
    return response
