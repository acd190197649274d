"""The authorization server assembled from authlib parts (RFC 6749 section 3 endpoints).

:class:`AuthService` owns everything the authorization side needs (settings, the auth
collections, the FHIR resources for launch context, clients, accounts, tokens, signing key, SMS
gateway) and the authlib ``AuthorizationServer`` with the grants registered:

- authorization code (``app_launch``) with PKCE S256 (``pkce``) and OpenID Connect (``openid``),
- refresh token (``refresh``),
- client credentials for backend services with ``private_key_jwt`` (``backend_services``),
- introspection (``introspection``, RFC 7662) and revocation (``revocation``, RFC 7009).
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Request
from flask import Response
from flask import json as flask_json
from flask import request as flask_request

from fhir_server.auth.accounts import Accounts
from fhir_server.auth.clients import Client, ClientRegistry
from fhir_server.auth.keys import SigningKey
from fhir_server.auth.sms import SmsGateway, gateway_for
from fhir_server.auth.storage import AuthStore
from fhir_server.auth.tokens import Authorization, TokenService
from fhir_server.auth.urls import endpoint, origin
from fhir_server.config import Settings
from fhir_server.storage.mongo import Store
from fhir_server.storage.store import ResourceStore

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class PublicUrlRequest(OAuth2Request):
    """The current Flask request with the URL the public sees (the configured base URL's origin).

    Behind a TLS-terminating proxy the WSGI URL is plain http; authlib's transport check must
    judge the URL clients actually use.
    """

    def __init__(self, uri: str) -> None:
        from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload

        super().__init__(method=flask_request.method, uri=uri, headers=flask_request.headers)
        self.payload = FlaskOAuth2Payload(flask_request)

    @property
    def args(self) -> Any:
        return flask_request.args

    @property
    def form(self) -> Any:
        return flask_request.form


class StoredRequest(OAuth2Request):
    """An authorization request kept while the user logs in, replayed when they consent;
    ``request_id`` is its key in ``auth_requests`` (the holder of its EHR launch id)."""

    def __init__(self, uri: str, params: dict[str, str], request_id: str | None = None) -> None:
        from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload

        super().__init__(method="GET", uri=uri)
        self.payload = BasicOAuth2Payload(params)
        self._params = params
        self.request_id = request_id

    @property
    def args(self) -> dict[str, str]:
        return self._params

    @property
    def form(self) -> dict[str, str]:
        return {}


class SmartAuthorizationServer(AuthorizationServer):  # type: ignore[misc]  # authlib is untyped
    def __init__(self, service: AuthService) -> None:
        super().__init__()
        self.service = service
        self.register_token_generator("default", service.tokens.generate)

    def query_client(self, client_id: str) -> Client | None:
        return self.service.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        user = request.user if isinstance(request.user, Authorization) else None
        grant_type = request.payload.grant_type or "authorization_code"
        self.service.tokens.save(token, request.client.get_client_id(), grant_type, user)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return PublicUrlRequest(self.service.public_url(flask_request.full_path.rstrip("?")))

    def handle_response(self, status_code: int, payload: Any, headers: Any) -> Response:
        if isinstance(payload, dict):
            payload = flask_json.dumps(payload)
        response = Response(payload, status=status_code, headers=headers)
        if status_code != 302:
            response.headers.update(NO_STORE)  # token and error responses are never cached
        return response

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


class AuthService:
    """Everything the authorization side needs, built once per app (and per gunicorn worker)."""

    def __init__(self, settings: Settings, store: Store, sms: SmsGateway | None = None) -> None:
        self.settings = settings
        self.auth_store = AuthStore(store.db)
        self.auth_store.ensure_indexes()
        self.resources = ResourceStore(store)
        self.clients = ClientRegistry(self.auth_store)
        self.accounts = Accounts(self.auth_store)
        self.tokens = TokenService(self.auth_store)
        self.key = SigningKey(settings.data_dir)
        self.sms = sms or gateway_for(settings)
        self.server = SmartAuthorizationServer(self)
        self._register()

    def _register(self) -> None:
        from fhir_server.auth import app_launch, backend_services, introspection, openid, pkce, refresh, revocation

        assertion = backend_services.PrivateKeyJWT(self)
        self.server.register_client_auth_method(assertion.CLIENT_AUTH_METHOD, assertion)
        self.server.register_grant(app_launch.SmartAuthorizationCodeGrant,
                                   [pkce.S256Required(), app_launch.SmartLaunchRules(self), openid.SmartOpenID(self)])
        self.server.register_grant(refresh.SmartRefreshTokenGrant)
        self.server.register_grant(backend_services.BackendServicesGrant)
        self.server.register_endpoint(introspection.SmartIntrospectionEndpoint(self.server))
        self.server.register_endpoint(revocation.SmartRevocationEndpoint(self.server))

    # -- URLs ----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.settings.base_url.rstrip("/")

    @property
    def issuer(self) -> str:
        return self.base_url

    def public_url(self, path: str) -> str:
        return f"{origin(self.base_url)}{path}"

    def endpoint(self, name: str) -> str:
        return endpoint(self.base_url, name)
