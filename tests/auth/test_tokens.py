"""Tokens: bearer use, expiry, refresh (narrowing only, rotation), id_token, introspection, revocation."""

from __future__ import annotations

import base64
from datetime import timedelta

from joserfc import jwt
from joserfc.jwk import KeySet

from fhir_server.auth.storage import utcnow
from tests.auth.helpers import BASE, SECRET

OFFLINE = "launch/patient patient/*.rs openid fhirUser offline_access"


def _refresh(smart, refresh_token, scope=None, client_id="public-app"):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    if scope:
        data["scope"] = scope
    return smart.web.post("/auth/token", data=data)


def _basic(client_id=("secret-app", SECRET)):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id[0]}:{client_id[1]}".encode()).decode()}


def test_fhir_requests_need_a_valid_bearer_token(smart):
    missing = smart.fhir("GET", "Patient/p1", None)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer realm=")
    assert missing.get_json()["resourceType"] == "OperationOutcome"
    invalid = smart.fhir("GET", "Patient/p1", "not-a-token")
    assert invalid.status_code == 401 and 'error="invalid_token"' in invalid.headers["WWW-Authenticate"]
    assert smart.fhir("GET", "Patient", None).status_code == 401
    assert smart.fhir("POST", "", None, {"resourceType": "Bundle", "type": "batch"}).status_code == 401


def test_expired_access_token_is_refused(smart):
    access = smart.token("anna")["access_token"]
    assert smart.fhir("GET", "Patient/p1", access).status_code == 200
    smart.service.auth_store.tokens.update_many({}, {"$set": {"exp": utcnow() - timedelta(seconds=1)}})
    assert smart.fhir("GET", "Patient/p1", access).status_code == 401


def test_id_token_is_rs256_signed_with_fhir_user(smart):
    token = smart.token("anna", scope="launch/patient patient/*.rs openid fhirUser", nonce="n-1")
    jwks = KeySet.import_key_set(smart.web.get("/auth/jwks").get_json())
    decoded = jwt.decode(token["id_token"], jwks, algorithms=["RS256"])
    assert decoded.header["alg"] == "RS256"
    claims = decoded.claims
    assert claims["iss"] == BASE and claims["aud"] == ["public-app"] and claims["sub"] == "anna"
    assert claims["fhirUser"] == f"{BASE}/Patient/p1" and claims["nonce"] == "n-1"
    assert claims["amr"] == ["pwd", "otp"] and claims["exp"] > claims["iat"]


def test_no_id_token_without_openid(smart):
    assert "id_token" not in smart.token("anna", scope="launch/patient patient/*.rs")


def test_refresh_narrows_and_rotates(smart):
    token = smart.token("anna", scope=OFFLINE)
    assert token["refresh_token"]
    narrowed = _refresh(smart, token["refresh_token"], scope="patient/Observation.rs offline_access")
    assert narrowed.status_code == 200, narrowed.get_data(as_text=True)
    assert narrowed.headers["Cache-Control"] == "no-store" and narrowed.headers["Pragma"] == "no-cache"
    body = narrowed.get_json()
    assert body["scope"] == "patient/Observation.rs offline_access" and body["patient"] == "p1"
    assert smart.fhir("GET", "Observation/lab-p1", body["access_token"]).status_code == 200
    assert smart.fhir("GET", "Condition/cond-p1", body["access_token"]).status_code == 404
    # the rotated refresh token keeps the scope of the refresh token presented
    wider_again = _refresh(smart, body["refresh_token"])
    assert wider_again.status_code == 200 and "patient/*.rs" in wider_again.get_json()["scope"]


def test_refresh_cannot_escalate_scopes(smart):
    token = smart.token("anna", scope=OFFLINE)
    escalated = _refresh(smart, token["refresh_token"], scope="patient/*.cruds offline_access")
    assert escalated.status_code == 400 and escalated.get_json()["error"] == "invalid_scope"
    # a failed attempt does not burn the refresh token
    assert _refresh(smart, token["refresh_token"]).status_code == 200


def test_replayed_refresh_token_revokes_the_family(smart):
    token = smart.token("anna", scope=OFFLINE)
    first = _refresh(smart, token["refresh_token"]).get_json()
    replay = _refresh(smart, token["refresh_token"])
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    assert smart.fhir("GET", "Patient/p1", first["access_token"]).status_code == 401
    assert _refresh(smart, first["refresh_token"]).status_code == 400


def test_refresh_token_of_another_client_or_wrong_grant_type(smart):
    token = smart.token("anna", scope=OFFLINE)
    assert _refresh(smart, token["refresh_token"], client_id="narrow-app").status_code == 400
    response = smart.web.post("/auth/token", data={"grant_type": "refresh", "refresh_token": token["refresh_token"],
                                                   "client_id": "public-app"})
    assert response.status_code == 400 and response.get_json()["error"] == "unsupported_grant_type"


def test_a_public_app_refreshes_without_client_id(smart):
    """SMART's JavaScript fhirclient 2.6 refreshes a public app with grant_type and refresh_token only."""
    token = smart.token("anna", scope=OFFLINE)
    bare = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    refreshed = smart.web.post("/auth/token", data=bare)
    assert refreshed.status_code == 200, refreshed.get_data(as_text=True)
    body = refreshed.get_json()
    assert body["patient"] == "p1" and body["refresh_token"] != token["refresh_token"]
    assert smart.fhir("GET", "Patient/p1", body["access_token"]).status_code == 200
    # rotation and replay detection hold without client_id too
    replay = smart.web.post("/auth/token", data=bare)
    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    assert smart.fhir("GET", "Patient/p1", body["access_token"]).status_code == 401
    unknown = smart.web.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": "nope"})
    assert unknown.status_code == 400 and unknown.get_json()["error"] == "invalid_grant"


def test_a_confidential_app_must_still_authenticate_to_refresh(smart):
    token = smart.token("anna", client_id="secret-app", scope=OFFLINE)
    bare = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    anonymous = smart.web.post("/auth/token", data=bare)
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "invalid_client"
    named_only = smart.web.post("/auth/token", data={**bare, "client_id": "secret-app"})
    assert named_only.status_code in (400, 401) and named_only.get_json()["error"] == "invalid_client"
    # the refused attempts did not burn the refresh token
    authenticated = smart.web.post("/auth/token", data=bare, headers=_basic())
    assert authenticated.status_code == 200, authenticated.get_data(as_text=True)


def test_online_access_refresh_lives_shorter(smart):
    smart.token("anna", scope="launch/patient patient/*.rs online_access")
    smart.token("boris", scope=OFFLINE)
    online = smart.service.auth_store.tokens.find_one({"subject": "anna"})
    offline = smart.service.auth_store.tokens.find_one({"subject": "boris"})
    assert online["rt_exp"] - online["iat"] <= timedelta(hours=8, seconds=5)
    assert offline["rt_exp"] - offline["iat"] >= timedelta(days=29)


def test_revoking_an_access_token_takes_effect_at_once(smart):
    token = smart.token("anna")
    access = token["access_token"]
    assert smart.fhir("GET", "Patient/p1", access).status_code == 200
    response = smart.web.post("/auth/revoke", data={"token": access, "client_id": "public-app"})
    assert response.status_code == 200
    assert smart.fhir("GET", "Patient/p1", access).status_code == 401


def test_revoking_a_refresh_token_revokes_the_whole_authorization(smart):
    token = smart.token("anna", scope=OFFLINE)
    response = smart.web.post("/auth/revoke", data={"token": token["refresh_token"], "token_type_hint":
                                                    "refresh_token", "client_id": "public-app"})
    assert response.status_code == 200
    assert smart.fhir("GET", "Patient/p1", token["access_token"]).status_code == 401
    assert _refresh(smart, token["refresh_token"]).status_code == 400


def test_a_client_cannot_revoke_another_clients_token(smart):
    token = smart.token("anna")
    response = smart.web.post("/auth/revoke", data={"token": token["access_token"], "client_id": "narrow-app"})
    assert response.status_code == 400
    assert smart.fhir("GET", "Patient/p1", token["access_token"]).status_code == 200


def test_revoking_an_unknown_token_is_fine(smart):
    assert smart.web.post("/auth/revoke", data={"token": "nope", "client_id": "public-app"}).status_code == 200


def test_introspection_with_smart_fields(smart):
    token = smart.token("anna", client_id="secret-app", scope=OFFLINE)
    response = smart.web.post("/auth/introspect", data={"token": token["access_token"]}, headers=_basic())
    assert response.status_code == 200
    body = response.get_json()
    assert body["active"] is True and body["client_id"] == "secret-app" and body["patient"] == "p1"
    assert body["scope"] == token["scope"] and body["sub"] == "anna" and body["exp"] > body["iat"]
    assert body["fhirUser"] == f"{BASE}/Patient/p1" and body["iss"] == BASE
    refresh = smart.web.post("/auth/introspect", data={"token": token["refresh_token"],
                                                       "token_type_hint": "refresh_token"}, headers=_basic())
    assert refresh.get_json()["active"] is True


def test_introspection_of_revoked_expired_foreign_or_unknown_tokens(smart):
    mine = smart.token("anna", client_id="secret-app")
    foreign = smart.token("boris")  # issued to public-app
    introspect = lambda value: smart.web.post("/auth/introspect", data={"token": value},  # noqa: E731
                                              headers=_basic()).get_json()
    assert introspect(foreign["access_token"]) == {"active": False}
    assert introspect("nope") == {"active": False}
    smart.web.post("/auth/revoke", data={"token": mine["access_token"]}, headers=_basic())
    assert introspect(mine["access_token"]) == {"active": False}


def test_introspection_needs_client_authentication(smart):
    token = smart.token("anna")
    assert smart.web.post("/auth/introspect", data={"token": token["access_token"],
                                                    "client_id": "public-app"}).status_code == 401
