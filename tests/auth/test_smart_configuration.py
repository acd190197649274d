"""Discovery: .well-known/smart-configuration, openid-configuration, JWKS, brands, /metadata security."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from tests.auth.helpers import BASE

REQUIRED = {"issuer", "jwks_uri", "authorization_endpoint", "grant_types_supported", "token_endpoint",
            "capabilities", "code_challenge_methods_supported"}
RECOMMENDED = {"scopes_supported", "response_types_supported", "management_endpoint", "introspection_endpoint",
               "revocation_endpoint", "token_endpoint_auth_methods_supported",
               "token_endpoint_auth_signing_alg_values_supported", "user_access_brand_bundle",
               "user_access_brand_identifier"}


def test_smart_configuration_has_every_required_and_recommended_field(smart):
    response = smart.web.get("/fhir/.well-known/smart-configuration")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert REQUIRED | RECOMMENDED <= set(body)
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["issuer"] == BASE
    assert body["authorization_endpoint"] == "http://localhost/auth/authorize"
    assert {"authorization_code", "refresh_token", "client_credentials"} == set(body["grant_types_supported"])
    assert {"launch-ehr", "launch-standalone", "client-public", "client-confidential-symmetric",
            "client-confidential-asymmetric", "sso-openid-connect", "context-ehr-patient",
            "context-standalone-patient", "permission-offline", "permission-patient", "permission-user",
            "permission-v1", "permission-v2", "authorize-post"} <= set(body["capabilities"])
    assert set(body["token_endpoint_auth_signing_alg_values_supported"]) == {"RS384", "ES384"}


def test_every_advertised_endpoint_exists(smart):
    body = smart.web.get("/fhir/.well-known/smart-configuration").get_json()
    for key in ("authorization_endpoint", "management_endpoint", "jwks_uri", "user_access_brand_bundle"):
        path = body[key].removeprefix("http://localhost")
        assert smart.web.get(path).status_code in (200, 302, 400), key  # 400: authorize without parameters
    for key in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        path = body[key].removeprefix("http://localhost")
        assert smart.web.post(path, data={}).status_code in (400, 401), key


def test_openid_configuration_and_jwks(smart):
    body = smart.web.get("/fhir/.well-known/openid-configuration").get_json()
    assert body["issuer"] == BASE and body["id_token_signing_alg_values_supported"] == ["RS256"]
    jwks = smart.web.get("/auth/jwks")
    assert jwks.headers["Access-Control-Allow-Origin"] == "*"
    [key] = jwks.get_json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and "d" not in key


def test_brand_bundle_is_a_valid_bundle(smart):
    Bundle.model_validate(smart.web.get("/auth/brands.json").get_json())


def test_metadata_is_open_has_oauth_uris_and_parses_in_strict_clients(smart):
    from fhirclient.models.capabilitystatement import CapabilityStatement as ClientCapabilityStatement

    response = smart.web.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    CapabilityStatement.model_validate(body)
    ClientCapabilityStatement(body, strict=True)
    security = body["rest"][0]["security"]
    [oauth] = security["extension"]
    uris = {e["url"]: e["valueUri"] for e in oauth["extension"]}
    assert uris["authorize"] == "http://localhost/auth/authorize"
    assert uris["token"] == "http://localhost/auth/token"
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"


def test_metadata_without_auth_has_no_security(client):
    assert "security" not in client.get("metadata").get_json()["rest"][0]
