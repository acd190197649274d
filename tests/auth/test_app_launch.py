"""The authorization endpoint and the authorization code: SMART App Launch 2.2, PKCE, aud, state."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from fhir_server.auth.app_launch import create_launch
from fhir_server.auth.storage import utcnow
from tests.auth.helpers import BASE, REDIRECT, SECRET, pkce_pair, redirect_params


def _start_error(smart, method="GET", **extra):
    response = smart.authorize(smart.authorize_params(**extra), method=method)
    return response


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_standalone_launch_issues_a_code_with_state_echoed(smart, method):
    smart.fresh_browser()
    verifier, challenge = pkce_pair()
    started = smart.authorize(smart.authorize_params(challenge=challenge), method=method)
    assert started.status_code == 302 and started.headers["Location"].endswith("/auth/login")
    assert smart.password("anna").status_code == 303
    assert smart.code(smart.last_code("+79990000001")).status_code == 303
    params = redirect_params(smart.consent())
    assert params["state"] == "state-123" and params["code"]
    token = smart.exchange(params["code"], verifier)
    assert token.status_code == 200
    assert token.headers["Cache-Control"] == "no-store" and token.headers["Pragma"] == "no-cache"
    body = token.get_json()
    assert body["token_type"] == "Bearer" and body["patient"] == "p1" and body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"launch/patient", "patient/*.rs", "openid", "fhirUser"}
    assert "refresh_token" not in body  # neither offline_access nor online_access was asked for


def test_wrong_aud_is_refused_back_to_the_app(smart):
    response = _start_error(smart, aud="http://evil.example/fhir")
    params = redirect_params(response)
    assert params["error"] == "invalid_request" and params["state"] == "state-123"
    assert "aud" in params["error_description"]


def test_missing_aud_or_state_is_refused(smart):
    assert redirect_params(_start_error(smart, aud=None))["error"] == "invalid_request"
    response = _start_error(smart, state=None)
    assert response.status_code == 302 and "error=invalid_request" in response.headers["Location"]


def test_missing_or_plain_pkce_is_refused(smart):
    assert redirect_params(_start_error(smart, code_challenge=None, code_challenge_method=None))["error"] \
        == "invalid_request"
    _, challenge = pkce_pair()
    params = redirect_params(_start_error(smart, code_challenge_method="plain", challenge=challenge))
    assert params["error"] == "invalid_request" and "S256" in params["error_description"]


def test_wrong_redirect_uri_is_never_redirected_to(smart):
    response = _start_error(smart, redirect_uri="http://evil.example/callback")
    assert response.status_code == 400 and "Location" not in response.headers


def test_unknown_client_gets_an_error_page(smart):
    response = _start_error(smart, client_id="nobody")
    assert response.status_code == 400 and "Location" not in response.headers


def test_wrong_or_missing_code_verifier(smart):
    params, verifier = smart.code_flow("anna")
    wrong = smart.exchange(params["code"], pkce_pair()[0])
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"
    params, verifier = smart.code_flow("anna")
    missing = smart.exchange(params["code"], None)
    assert missing.status_code == 400 and missing.get_json()["error"] == "invalid_request"


def test_wrong_redirect_uri_at_the_token_endpoint(smart):
    params, verifier = smart.code_flow("anna")
    response = smart.exchange(params["code"], verifier, redirect_uri="http://localhost:9999/other")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_reused_code_fails_and_revokes_the_first_token(smart):
    params, verifier = smart.code_flow("anna")
    first = smart.exchange(params["code"], verifier)
    assert first.status_code == 200
    access = first.get_json()["access_token"]
    assert smart.fhir("GET", "Patient/p1", access).status_code == 200
    again = smart.exchange(params["code"], verifier)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    assert smart.fhir("GET", "Patient/p1", access).status_code == 401


def test_expired_code(smart):
    params, verifier = smart.code_flow("anna")
    smart.service.auth_store.codes.update_many({}, {"$set": {"exp": utcnow() - timedelta(seconds=1)}})
    response = smart.exchange(params["code"], verifier)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_code_of_another_client_is_refused(smart):
    params, verifier = smart.code_flow("anna")
    response = smart.exchange(params["code"], verifier, client_id="narrow-app")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_wrong_grant_type(smart):
    response = smart.web.post("/auth/token", data={"grant_type": "password", "username": "anna",
                                                   "password": "x", "client_id": "public-app"})
    assert response.status_code == 400 and response.get_json()["error"] == "unsupported_grant_type"
    assert response.headers["Cache-Control"] == "no-store"


def test_public_client_cannot_use_client_credentials(smart):
    response = smart.web.post("/auth/token", data={"grant_type": "client_credentials", "client_id": "public-app",
                                                   "scope": "system/*.rs"})
    assert response.status_code in (400, 401) and response.get_json()["error"] in ("invalid_client",
                                                                                    "unauthorized_client")


def test_confidential_client_authenticates_with_basic(smart):
    params, verifier = smart.code_flow("anna", client_id="secret-app")
    assert smart.exchange(params["code"], verifier, client_id="secret-app", basic=("secret-app", "wrong")) \
        .status_code == 401
    params, verifier = smart.code_flow("anna", client_id="secret-app")
    assert smart.exchange(params["code"], verifier, client_id="secret-app").status_code in (400, 401)
    params, verifier = smart.code_flow("anna", client_id="secret-app")
    assert smart.exchange(params["code"], verifier, client_id="secret-app", basic=("secret-app", SECRET)) \
        .status_code == 200


def test_denied_consent_returns_access_denied(smart):
    smart.fresh_browser()
    smart.authorize(smart.authorize_params())
    smart.password("anna")
    smart.code(smart.last_code("+79990000001"))
    params = redirect_params(smart.consent(decision="deny"))
    assert params["error"] == "access_denied" and params["state"] == "state-123"


def test_unticked_types_are_not_granted(smart):
    token = smart.token("anna", scope="launch/patient patient/Observation.rs patient/Condition.rs openid fhirUser",
                        consent={"types": ["Observation"]})
    assert set(token["scope"].split()) == {"launch/patient", "patient/Observation.rs", "openid", "fhirUser"}
    assert smart.fhir("GET", "Condition/cond-p1", token["access_token"]).status_code == 404
    assert smart.fhir("GET", "Observation/lab-p1", token["access_token"]).status_code == 200


def test_unticking_a_wildcard_expands_it_into_the_remaining_types(smart):
    token = smart.token("anna", scope="launch/patient patient/*.rs", consent={"types": ["Patient", "Observation"]})
    assert set(token["scope"].split()) == {"launch/patient", "patient/Patient.rs", "patient/Observation.rs"}


def test_scopes_beyond_the_client_registration_are_dropped(smart):
    token = smart.token("anna", client_id="narrow-app", scope="launch/patient patient/*.rs openid fhirUser")
    assert set(token["scope"].split()) == {"launch/patient", "openid", "fhirUser"}
    assert smart.fhir("GET", "Observation/lab-p1", token["access_token"]).status_code == 404


def test_ehr_launch_resolves_patient_and_encounter(smart):
    launch = create_launch(smart.service, "p2", "enc-p2", client_id="secret-app")
    token = smart.token("doc", client_id="secret-app",
                        scope="launch launch/encounter patient/*.rs user/*.rs openid fhirUser", launch=launch)
    assert token["patient"] == "p2" and token["encounter"] == "enc-p2"
    assert smart.fhir("GET", "Observation/lab-p2", token["access_token"]).status_code == 200


def test_ehr_launch_endpoint_needs_a_clinician_token(smart):
    doc_token = smart.token("doc", client_id="secret-app", scope="user/*.rs openid fhirUser")["access_token"]
    response = smart.web.post("/auth/launch", json={"patient": "p1", "client_id": "secret-app"},
                              headers={"Authorization": f"Bearer {doc_token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["iss"] == BASE and body["launch_url"].startswith("http://localhost:9999/launch?iss=")
    out_of_care = smart.web.post("/auth/launch", json={"patient": "p3"},
                                 headers={"Authorization": f"Bearer {doc_token}"})
    assert out_of_care.status_code == 400
    anna = smart.token("anna")["access_token"]
    assert smart.web.post("/auth/launch", json={"patient": "p1"},
                          headers={"Authorization": f"Bearer {anna}"}).status_code == 401


def test_unknown_launch_is_refused(smart):
    params = redirect_params(_start_error(smart, launch="nope", scope="launch patient/*.rs"))
    assert params["error"] == "invalid_request"


def test_login_pages_are_not_cached_nor_framed(smart):
    smart.fresh_browser()
    smart.authorize(smart.authorize_params())
    page = smart.web.get("/auth/login")
    assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Frame-Options"] == "DENY"
    assert "Access-Control-Allow-Origin" not in page.headers
    assert REDIRECT not in page.get_data(as_text=True)


def _launched(smart, launch: str, challenge: str | None = None):
    """A browser of its own asks to authorize with ``launch``."""
    smart.fresh_browser()
    return smart.authorize(smart.authorize_params("secret-app", scope="launch patient/*.rs openid fhirUser",
                                                  challenge=challenge, launch=launch))


def test_a_launch_id_is_used_once(smart):
    launch = create_launch(smart.service, "p2", "enc-p2", client_id="secret-app")
    verifier, challenge = pkce_pair()
    first = _launched(smart, launch, challenge)
    assert first.status_code == 302 and first.headers["Location"].endswith("/auth/login")
    first_browser = smart.web
    again = _launched(smart, launch)
    assert redirect_params(again)["error"] == "invalid_request"
    smart.web = first_browser  # the first use goes on to a token with the launch context
    assert smart.password("doc").status_code == 303
    assert smart.code(smart.last_code("+79990000005")).status_code == 303
    params = redirect_params(smart.consent())
    token = smart.exchange(params["code"], verifier, client_id="secret-app", basic=("secret-app", SECRET))
    assert token.status_code == 200 and token.get_json()["patient"] == "p2"


def test_parallel_uses_of_one_launch_id_let_one_through(smart):
    launch = create_launch(smart.service, "p2", client_id="secret-app")
    query = urlencode(smart.authorize_params("secret-app", scope="launch patient/*.rs", launch=launch))
    barrier = threading.Barrier(12)

    def use(_: int) -> str:
        web = smart.app.test_client()
        barrier.wait()
        return web.get(f"/auth/authorize?{query}").headers["Location"]

    with ThreadPoolExecutor(12) as pool:
        locations = list(pool.map(use, range(12)))
    assert sum(location.endswith("/auth/login") for location in locations) == 1, locations


def _clinician_at_consent(smart) -> None:
    smart.fresh_browser()
    assert smart.authorize(smart.authorize_params("secret-app", scope="launch/patient patient/*.rs")).status_code == 302
    assert smart.password("doc").status_code == 303
    assert smart.code(smart.last_code("+79990000005")).status_code == 303


def _choose(smart, **form: str):
    page = smart.web.get("/auth/consent")
    return smart.web.post("/auth/consent", data={"csrf": smart.csrf(page), "decision": "allow", **form})


def test_consent_does_not_tell_an_unknown_patient_from_one_out_of_care(smart):
    _clinician_at_consent(smart)
    mhi = smart.service.resources.current("Patient", "p3")["res"]["identifier"][0]["value"]
    answers = {typed: _choose(smart, patient_lookup=typed) for typed in ("p3", mhi, "nobody", "7700000000099999")}
    assert {(a.status_code, a.get_data(as_text=True)) for a in answers.values()} == {
        (400, answers["p3"].get_data(as_text=True))}
    assert "emergency" in answers["p3"].get_data(as_text=True)
    # declaring an emergency for a patient who does not exist grants nothing
    for form in ({"patient_lookup": "nobody"}, {"patient": "nobody"}):
        refused = _choose(smart, emergency="yes", reason="test", **form)
        assert refused.status_code == 400 and "No such patient" in refused.get_data(as_text=True)
    granted = _choose(smart, patient_lookup=mhi, emergency="yes", reason="unconscious")
    assert granted.status_code == 302 and "code=" in granted.headers["Location"]
