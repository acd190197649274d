"""SMART Backend Services: client_credentials with private_key_jwt (RS384, ES384), system/ scopes."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from fhir_server.auth.clients import Client
from tests.auth.helpers import ids

TOKEN_URL = "http://localhost/auth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {"RS384": RSAKey.generate_key(2048, private=True, auto_kid=True),
            "ES384": ECKey.generate_key("P-384", private=True, auto_kid=True),
            "other": RSAKey.generate_key(2048, private=True, auto_kid=True)}


def _register(smart, client_id: str, key: Any = None, jwks_uri: str | None = None, scope: str = "system/*.rs") -> None:
    jwks = {"keys": [key.as_dict(private=False)]} if key is not None else None
    smart.service.clients.register(Client(client_id, f"Backend {client_id}", "private_key_jwt", [], scope,
                                          ["client_credentials"], jwks=jwks, jwks_uri=jwks_uri))


def assertion(client_id: str, key: Any, alg: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": TOKEN_URL, "exp": now + 240, "iat": now,
              "jti": uuid.uuid4().hex}
    claims.update(overrides)
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=[alg])


def _token(smart, client_assertion: str, scope: str = "system/*.rs", grant_type: str = "client_credentials"):
    return smart.web.post("/auth/token", data={"grant_type": grant_type, "scope": scope,
                                               "client_assertion_type": ASSERTION_TYPE,
                                               "client_assertion": client_assertion})


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_backend_service_gets_a_system_token(smart, keys, alg):
    _register(smart, f"backend-{alg}", keys[alg])
    response = _token(smart, assertion(f"backend-{alg}", keys[alg], alg), scope="system/Observation.rs system/Patient.rs")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"
    body = response.get_json()
    assert body["scope"] == "system/Observation.rs system/Patient.rs" and body["expires_in"] <= 300
    assert "refresh_token" not in body
    access = body["access_token"]
    found = ids(smart.fhir("GET", "Observation?_count=100", access).get_json())
    assert {"Observation/lab-p1", "Observation/lab-p2", "Observation/lab-c3"} <= found
    assert smart.fhir("GET", "Condition/cond-p1", access).status_code == 404  # not in its scopes
    assert smart.fhir("POST", "Patient", access, {"resourceType": "Patient"}).status_code == 403  # read-only


def test_jwks_by_url(smart, keys):
    body = json.dumps({"keys": [keys["RS384"].as_dict(private=False)]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/jwks.json"
        _register(smart, "backend-url", jwks_uri=url)
        assert _token(smart, assertion("backend-url", keys["RS384"], "RS384")).status_code == 200
    finally:
        server.shutdown()


def test_patient_and_user_scopes_are_not_for_backends(smart, keys):
    _register(smart, "backend", keys["RS384"], scope="system/*.rs patient/*.rs")
    response = _token(smart, assertion("backend", keys["RS384"], "RS384"), scope="patient/*.rs")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_scope"
    mixed = _token(smart, assertion("backend", keys["RS384"], "RS384"), scope="patient/*.rs system/Patient.rs")
    assert mixed.status_code == 200 and mixed.get_json()["scope"] == "system/Patient.rs"


def test_scopes_beyond_registration_are_refused(smart, keys):
    _register(smart, "backend", keys["RS384"], scope="system/Patient.rs")
    response = _token(smart, assertion("backend", keys["RS384"], "RS384"), scope="system/Observation.rs")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_scope"


@pytest.mark.parametrize("case", ["wrong key", "wrong aud", "iss differs", "expired", "too long", "RS256",
                                  "unknown client", "garbage"])
def test_invalid_client_assertions(smart, keys, case):
    _register(smart, "backend", keys["RS384"])
    key, alg, claims = keys["RS384"], "RS384", {}
    client_id = "backend"
    if case == "wrong key":
        key = keys["other"]
    elif case == "wrong aud":
        claims["aud"] = "http://evil.example/token"
    elif case == "iss differs":
        claims["iss"] = "someone-else"
    elif case == "expired":
        claims["exp"] = int(time.time()) - 120
    elif case == "too long":
        claims["exp"] = int(time.time()) + 3600
    elif case == "unknown client":
        client_id = "nobody"
    if case == "RS256":
        value = jwt.encode({"alg": "RS256", "kid": key.kid}, {"iss": "backend", "sub": "backend", "aud": TOKEN_URL,
                                                             "exp": int(time.time()) + 60, "jti": "x"}, key)
    elif case == "garbage":
        value = "not.a.jwt"
    else:
        value = assertion(client_id, key, alg, **claims)
    response = _token(smart, value)
    assert response.status_code in (400, 401) and response.get_json()["error"] == "invalid_client", case


def test_replayed_assertion_is_refused(smart, keys):
    _register(smart, "backend", keys["RS384"])
    value = assertion("backend", keys["RS384"], "RS384")
    assert _token(smart, value).status_code == 200
    again = _token(smart, value)
    assert again.status_code in (400, 401) and again.get_json()["error"] == "invalid_client"


def test_backend_cannot_use_other_grants(smart, keys):
    _register(smart, "backend", keys["RS384"])
    response = _token(smart, assertion("backend", keys["RS384"], "RS384"), grant_type="authorization_code")
    assert response.status_code in (400, 401)


def test_private_key_jwt_authenticates_introspection(smart, keys):
    _register(smart, "backend", keys["RS384"])
    access = _token(smart, assertion("backend", keys["RS384"], "RS384")).get_json()["access_token"]
    value = assertion("backend", keys["RS384"], "RS384", aud="http://localhost/auth/introspect")
    response = smart.web.post("/auth/introspect", data={"token": access, "client_assertion_type": ASSERTION_TYPE,
                                                        "client_assertion": value})
    body = response.get_json()
    assert body["active"] is True and body["client_id"] == "backend" and "patient" not in body


@pytest.mark.parametrize("client_id", ["public-app", "secret-app"])
def test_an_assertion_naming_a_client_without_keys_gets_a_plain_invalid_client(smart, keys, client_id):
    response = _token(smart, assertion(client_id, keys["RS384"], "RS384"))
    body = response.get_json()
    assert response.status_code in (400, 401) and body["error"] == "invalid_client"
    assert body["error_description"] == "Client authentication failed", body


def test_keys_that_cannot_be_fetched_give_no_internal_details(smart, keys):
    from fhir_server.storage.embedded_mongo import free_port

    _register(smart, "backend-down", jwks_uri=f"http://127.0.0.1:{free_port()}/jwks.json")  # nothing listens
    response = _token(smart, assertion("backend-down", keys["RS384"], "RS384"))
    body = response.get_json()
    assert response.status_code in (400, 401) and body["error"] == "invalid_client"
    assert body["error_description"] == "The client's public keys could not be obtained", body
