"""SMART discovery: ``[base]/.well-known/smart-configuration`` (App Launch 2.2, conformance.html).

Every required and recommended field, and only the capabilities this server really has. OpenID
Connect discovery (``[base]/.well-known/openid-configuration``) repeats what applies to it, since
the issuer is the FHIR base URL. Both are open to any origin (CORS).
"""

from __future__ import annotations

from typing import Any

from fhir_server.auth.urls import endpoint

CAPABILITIES = [
    "launch-ehr", "launch-standalone", "authorize-post",
    "client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
    "sso-openid-connect",
    "context-ehr-patient", "context-ehr-encounter", "context-standalone-patient",
    "permission-offline", "permission-online", "permission-patient", "permission-user",
    "permission-v1", "permission-v2",
]
SCOPES = [
    "openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter", "offline_access",
    "online_access",
    "patient/*.cruds", "patient/*.rs", "patient/*.read", "patient/*.write", "patient/*.*",
    "user/*.cruds", "user/*.rs", "user/*.read", "user/*.write", "user/*.*",
    "system/*.cruds", "system/*.rs", "system/*.read", "system/*.write", "system/*.*",
]
BRAND_ID = "https://emc.mos.ru"


def configuration(base_url: str) -> dict[str, Any]:
    return {
        "issuer": base_url,
        "jwks_uri": endpoint(base_url, "jwks"),
        "authorization_endpoint": endpoint(base_url, "authorize"),
        "token_endpoint": endpoint(base_url, "token"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "management_endpoint": endpoint(base_url, "manage"),
        "introspection_endpoint": endpoint(base_url, "introspect"),
        "revocation_endpoint": endpoint(base_url, "revoke"),
        "code_challenge_methods_supported": ["S256"],
        "capabilities": CAPABILITIES,
        "user_access_brand_bundle": endpoint(base_url, "brands.json"),
        "user_access_brand_identifier": {"system": "urn:ietf:rfc:3986", "value": BRAND_ID},
    }


def openid_configuration(base_url: str) -> dict[str, Any]:
    return {
        "issuer": base_url,
        "authorization_endpoint": endpoint(base_url, "authorize"),
        "token_endpoint": endpoint(base_url, "token"),
        "jwks_uri": endpoint(base_url, "jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "fhirUser", "profile"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "fhirUser"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "none"],
        "code_challenge_methods_supported": ["S256"],
    }


def brand_bundle(base_url: str) -> dict[str, Any]:
    """User-access brands (App Launch 2.2, brands.html): one brand, this server's portal and endpoint."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{base_url}/Organization/emc-brand", "resource": {
                "resourceType": "Organization", "id": "emc-brand",
                "identifier": [{"system": "urn:ietf:rfc:3986", "value": BRAND_ID}],
                "name": "Единая медицинская карта Москвы (ЕМК)", "alias": ["Moscow EMC"],
                "telecom": [{"system": "url", "value": BRAND_ID}],
                "endpoint": [{"reference": "Endpoint/emc-fhir"}]}},
            {"fullUrl": f"{base_url}/Endpoint/emc-fhir", "resource": {
                "resourceType": "Endpoint", "id": "emc-fhir", "status": "active",
                "connectionType": {"system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
                                   "code": "hl7-fhir-rest"},
                "name": "Moscow EMC FHIR R4", "payloadType": [{"text": "any"}], "address": base_url}},
        ],
    }
