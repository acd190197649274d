"""Where the authorization endpoints live: ``/auth/<name>`` at the origin of the FHIR base URL.

Shared by the discovery document, the CapabilityStatement's ``oauth-uris`` extension and the
routes themselves, so they cannot disagree.
"""

from __future__ import annotations

from urllib.parse import urlsplit

AUTH_PREFIX = "/auth"


def origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def endpoint(base_url: str, name: str) -> str:
    return f"{origin(base_url)}{AUTH_PREFIX}/{name}"


def oauth_uris_extension(base_url: str) -> dict[str, object]:
    """The SMART ``oauth-uris`` extension of ``CapabilityStatement.rest.security`` (the Python
    ``fhirclient`` finds the endpoints only there)."""
    names = [("authorize", "authorize"), ("token", "token"), ("introspect", "introspect"), ("revoke", "revoke"),
             ("manage", "manage")]
    return {
        "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
        "extension": [{"url": url_name, "valueUri": endpoint(base_url, path)} for url_name, path in names],
    }


def security(base_url: str) -> dict[str, object]:
    """``CapabilityStatement.rest.security`` of a server with SMART authorization."""
    return {
        "extension": [oauth_uris_extension(base_url)],
        "cors": True,
        "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                 "code": "SMART-on-FHIR", "display": "SMART-on-FHIR"}],
                     "text": "OAuth2 using the SMART App Launch 2.2 profile"}],
        "description": "SMART App Launch 2.2: authorization code with PKCE (S256), two-stage login (password and "
                       "SMS one-time code), backend services with private_key_jwt. Discovery: "
                       f"{base_url}/.well-known/smart-configuration",
    }
