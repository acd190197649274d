"""SMART App Launch 2.2 authorization (https://hl7.org/fhir/smart-app-launch/) on authlib.

Modules follow the SMART pages and RFCs: ``smart_configuration`` (discovery), ``app_launch``
(authorization endpoint, codes, EHR launch), ``login`` (two-stage login), ``sms``, ``consent``,
``scopes``, ``pkce`` (RFC 7636), ``openid`` (id_token), ``refresh``, ``backend_services``
(client_credentials + RFC 7523 ``private_key_jwt``), ``introspection`` (RFC 7662), ``revocation``
(RFC 7009), ``management`` (SMART management endpoint), ``bearer`` (RFC 6750, the resource-server
side). ``server`` assembles authlib's AuthorizationServer; :func:`init_app` mounts it all on a
Flask app. Documentation: docs/auth.md.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, request

from fhir_server.auth.server import AuthService
from fhir_server.auth.sms import SmsGateway
from fhir_server.auth.urls import AUTH_PREFIX
from fhir_server.config import Settings
from fhir_server.storage.mongo import Store

__all__ = ["AuthService", "init_app"]

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Match, "
                                    "If-None-Exist, If-Modified-Since",
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Expose-Headers": "Location, Content-Location, ETag, Last-Modified, WWW-Authenticate",
}
#: Endpoints an app in a browser calls directly (never the login and consent pages).
CORS_AUTH_ENDPOINTS = {"token", "introspect", "revoke", "jwks", "brands.json"}


def _json(body: dict[str, object]) -> Response:
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def init_app(app: Flask, settings: Settings, store: Store, sms: SmsGateway | None = None) -> AuthService:
    """Mount the authorization server on ``app``; FHIR requests then need a bearer token."""
    from fhir_server.auth import app_launch, consent, login, management, smart_configuration
    from fhir_server.web.http_api import mount_path

    service = AuthService(settings, store, sms)
    app.extensions["fhir_auth"] = service
    base = service.base_url
    bp = Blueprint("smart_auth", __name__, template_folder="templates")
    bp.add_url_rule(f"{AUTH_PREFIX}/authorize", "authorize", lambda: app_launch.authorize(service),
                    methods=["GET", "POST"])
    bp.add_url_rule(f"{AUTH_PREFIX}/login", "login", lambda: login.password_step(service), methods=["GET", "POST"])
    bp.add_url_rule(f"{AUTH_PREFIX}/otp", "otp", lambda: login.code_step(service), methods=["GET", "POST"])
    bp.add_url_rule(f"{AUTH_PREFIX}/consent", "consent", lambda: consent.screen(service), methods=["GET", "POST"])
    bp.add_url_rule(f"{AUTH_PREFIX}/manage", "manage", lambda: management.page(service), methods=["GET", "POST"])
    bp.add_url_rule(f"{AUTH_PREFIX}/token", "token", lambda: service.server.create_token_response(),
                    methods=["POST"])
    bp.add_url_rule(f"{AUTH_PREFIX}/introspect", "introspect",
                    lambda: service.server.create_endpoint_response("introspection"), methods=["POST"])
    bp.add_url_rule(f"{AUTH_PREFIX}/revoke", "revoke",
                    lambda: service.server.create_endpoint_response("revocation"), methods=["POST"])
    bp.add_url_rule(f"{AUTH_PREFIX}/launch", "launch", lambda: app_launch.launch_endpoint(service), methods=["POST"])
    bp.add_url_rule(f"{AUTH_PREFIX}/jwks", "jwks", lambda: _json(service.key.public_jwks()))
    bp.add_url_rule(f"{AUTH_PREFIX}/brands.json", "brands", lambda: _json(smart_configuration.brand_bundle(base)))
    well_known = f"{mount_path(base)}/.well-known"
    bp.add_url_rule(f"{well_known}/smart-configuration", "smart_configuration",
                    lambda: _json(smart_configuration.configuration(base)))
    bp.add_url_rule(f"{well_known}/openid-configuration", "openid_configuration",
                    lambda: _json(smart_configuration.openid_configuration(base)))
    app.register_blueprint(bp)
    fhir_prefix = mount_path(base) + "/"

    @app.after_request
    def cors(response: Response) -> Response:
        """Discovery, metadata, the token-side endpoints and the FHIR API are open to any origin:
        they are called with bearer tokens or client credentials, never cookies."""
        path = request.path
        endpoint_name = path[len(AUTH_PREFIX) + 1:] if path.startswith(f"{AUTH_PREFIX}/") else None
        if endpoint_name in CORS_AUTH_ENDPOINTS or path.startswith(fhir_prefix) or path == fhir_prefix.rstrip("/"):
            response.headers.update(CORS_HEADERS)
        return response

    return service
