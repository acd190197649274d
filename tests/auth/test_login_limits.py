"""Limits on guessing at the two-stage login (docs/auth.md, "Two-stage login").

Counters are reserved atomically before a guess is evaluated, so parallel requests get no more
guesses than sequential ones; wrong codes count per account across logins; failures count per
client address (``FHIR_LOGIN_FAILURES_PER_IP``); wrong passwords count per user name and client
address, so unknown names answer exactly like existing ones and a stranger elsewhere cannot lock
the owner out; the login cookie is renewed after each step.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

from fhir_server.auth import login
from fhir_server.auth.storage import utcnow
from fhir_server.config import Settings, from_env
from tests.auth.helpers import PASSWORD

PHONE = "+79990000001"
PARALLEL = 24


def _start(smart, address: str | None = None) -> None:
    smart.fresh_browser()
    if address:
        smart.web.environ_base["REMOTE_ADDR"] = address
    assert smart.authorize(smart.authorize_params()).status_code == 302


def _handle(smart) -> str:
    cookie = smart.web.get_cookie(login.COOKIE, path="/auth")
    assert cookie is not None
    return cookie.value


def _wrong_code(smart) -> str:
    return "000000" if smart.last_code(PHONE) != "000000" else "111111"


def _parallel(smart, path: str, form: dict[str, str], handle: str) -> list[Any]:
    """``PARALLEL`` browsers holding the same login cookie post ``form`` at the same moment."""
    barrier = threading.Barrier(PARALLEL)

    def post(_: int) -> Any:
        web = smart.app.test_client(use_cookies=False)
        barrier.wait()
        return web.post(path, data=form, headers={"Cookie": f"{login.COOKIE}={handle}"})

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(post, range(PARALLEL)))


def _normalised(response: Any, name: str) -> tuple[int, str]:
    body = response.get_data(as_text=True).replace(name, "NAME")
    body = re.sub(r'name="csrf" value="[^"]+"', "CSRF", body)
    return response.status_code, re.sub(r"\b\d\d:\d\d\b", "HH:MM", body)


# -- item 4: atomic counters, per account, per address -------------------------------------------

def test_parallel_wrong_codes_get_no_more_guesses_than_the_limit(smart):
    _start(smart)
    assert smart.password("anna").status_code == 303
    csrf = smart.csrf(smart.web.get("/auth/otp"))
    answers = _parallel(smart, "/auth/otp", {"csrf": csrf, "code": _wrong_code(smart), "action": "verify"},
                        _handle(smart))
    statuses = [a.status_code for a in answers]
    assert statuses.count(401) <= login.MAX_CODE_FAILURES - 1, statuses
    assert set(statuses) <= {400, 401, 429} and 429 in statuses  # 400: the lock ended the login
    assert smart.service.accounts.get("anna").locked_until is not None


def test_parallel_wrong_passwords_are_evaluated_at_most_the_limit(smart, evaluated):
    _start(smart)
    csrf = smart.csrf(smart.web.get("/auth/login"))
    answers = _parallel(smart, "/auth/login", {"csrf": csrf, "username": "anna", "password": "nope"}, _handle(smart))
    assert len(evaluated) <= login.MAX_PASSWORD_FAILURES, len(evaluated)
    assert {a.status_code for a in answers} <= {400, 401, 429}  # 400: the lock ended the login


def test_parallel_resends_send_no_more_codes_than_the_limit(smart):
    _start(smart)
    assert smart.password("anna").status_code == 303
    csrf = smart.csrf(smart.web.get("/auth/otp"))
    before = len(smart.outbox.read_text(encoding="utf-8").splitlines())
    _parallel(smart, "/auth/otp", {"csrf": csrf, "code": "", "action": "resend"}, _handle(smart))
    sent = len(smart.outbox.read_text(encoding="utf-8").splitlines()) - before
    assert sent <= login.MAX_RESENDS, sent


def test_wrong_codes_count_across_logins_until_a_login_completes(smart):
    _start(smart)
    assert smart.password("anna").status_code == 303
    for left in (4, 3, 2):
        answer = smart.code(_wrong_code(smart))
        assert answer.status_code == 401 and f"осталось попыток: {left}" in answer.get_data(as_text=True)
    _start(smart)  # a new login does not bring the guesses back
    assert smart.password("anna").status_code == 303
    assert "осталось попыток: 1" in smart.code(_wrong_code(smart)).get_data(as_text=True)
    locked = smart.code(_wrong_code(smart))
    assert locked.status_code == 429 and "locked until" in locked.get_data(as_text=True)
    # when the lock ends, one more wrong code locks the account again
    smart.service.auth_store.users.update_one({"_id": "anna"},
                                              {"$set": {"locked_until": utcnow() - timedelta(seconds=1)}})
    _start(smart)
    assert smart.password("anna").status_code == 303
    assert smart.code(_wrong_code(smart)).status_code == 429
    # only a completed login gives the five guesses back
    smart.service.auth_store.users.update_one({"_id": "anna"},
                                              {"$set": {"locked_until": utcnow() - timedelta(seconds=1)}})
    _start(smart)
    assert smart.password("anna").status_code == 303
    assert smart.code(smart.last_code(PHONE)).status_code == 303
    _start(smart)
    assert smart.password("anna").status_code == 303
    assert "осталось попыток: 4" in smart.code(_wrong_code(smart)).get_data(as_text=True)


def test_failures_per_client_address_then_429_with_retry_after(smart):
    smart.service.settings = replace(smart.service.settings, login_failures_per_ip=3)
    _start(smart, "192.0.2.7")
    page = smart.web.get("/auth/login")
    csrf = smart.csrf(page)
    for name in ("nobody", "anna", "boris"):
        answer = smart.web.post("/auth/login", data={"csrf": csrf, "username": name, "password": "nope"})
        assert answer.status_code == 401
    refused = smart.web.post("/auth/login", data={"csrf": csrf, "username": "anna", "password": PASSWORD})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-in attempts" in refused.get_data(as_text=True)
    page = smart.web.get("/auth/login")
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    # another address is not affected, and wrong codes count as failures too
    _start(smart, "192.0.2.8")
    assert smart.password("anna").status_code == 303
    for _ in range(3):
        assert smart.code(_wrong_code(smart)).status_code == 401
    otp = smart.web.get("/auth/otp")
    assert otp.status_code == 429 and int(otp.headers["Retry-After"]) > 0
    # after the window the address may try again
    smart.service.auth_store.limits.update_many({}, {"$set": {"start": utcnow() - timedelta(minutes=16)}})
    _start(smart, "192.0.2.7")
    assert smart.password("anna").status_code == 303


def test_failures_per_ip_setting_is_read_from_the_environment():
    assert Settings().login_failures_per_ip == 100
    assert from_env({}).login_failures_per_ip == 100
    assert from_env({"FHIR_LOGIN_FAILURES_PER_IP": "7"}).login_failures_per_ip == 7
    try:
        from_env({"FHIR_LOGIN_FAILURES_PER_IP": "0"}).check()
    except ValueError as problem:
        assert "FHIR_LOGIN_FAILURES_PER_IP" in str(problem)
    else:
        raise AssertionError("a limit of 0 must be refused")


# -- item 8 (b): a fresh login cookie after each step ---------------------------------------------

def test_the_login_cookie_is_renewed_after_each_step(smart):
    _start(smart)
    before_password = _handle(smart)
    assert smart.password("anna").status_code == 303
    before_code = _handle(smart)
    assert before_code != before_password
    stale = smart.app.test_client(use_cookies=False)
    assert stale.get("/auth/otp", headers={"Cookie": f"{login.COOKIE}={before_password}"}).status_code == 400
    assert smart.code(smart.last_code(PHONE)).status_code == 303
    after_code = _handle(smart)
    assert after_code not in (before_code, before_password)
    assert stale.get("/auth/consent", headers={"Cookie": f"{login.COOKIE}={before_code}"}).status_code == 400
    assert smart.consent().status_code == 302


# -- item 8 (c): unknown names, lock-outs and strangers --------------------------------------------

def test_unknown_names_get_exactly_the_answers_of_existing_ones(smart):
    answers = {}
    for name in ("anna", "nobody"):
        _start(smart)
        answers[name] = [_normalised(smart.password(name, "nope"), name)
                         for _ in range(login.MAX_PASSWORD_FAILURES)]
        _start(smart)
        answers[name].append(_normalised(smart.password(name, "nope"), name))
    assert answers["anna"] == answers["nobody"]
    assert [status for status, _ in answers["anna"]] == [401] * (login.MAX_PASSWORD_FAILURES - 1) + [429, 429]


def test_unknown_names_cost_a_password_check_like_existing_ones(smart, monkeypatch):
    from fhir_server.auth import accounts

    checked: list[str] = []
    real = accounts.verify_secret
    monkeypatch.setattr(accounts, "verify_secret", lambda secret, stored: checked.append(secret) or real(secret, stored))
    assert smart.service.accounts.check_password("nobody", "nope") is False
    assert checked == ["nope"]


def test_an_account_lock_is_shown_only_after_the_right_password(smart):
    smart.service.accounts.lock("anna", utcnow() + timedelta(minutes=10))
    _start(smart)
    wrong, unknown = smart.password("anna", "nope"), smart.password("nobody", "nope")
    assert wrong.status_code == unknown.status_code == 401
    assert _normalised(wrong, "anna") == _normalised(unknown, "nobody")
    right = smart.password("anna")
    assert right.status_code == 429 and "locked until" in right.get_data(as_text=True)


def test_a_stranger_elsewhere_cannot_lock_the_owner_out(smart):
    _start(smart, "203.0.113.5")
    for _ in range(login.MAX_PASSWORD_FAILURES - 1):
        assert smart.password("anna", "nope").status_code == 401
    assert smart.password("anna", "nope").status_code == 429
    _start(smart, "203.0.113.5")
    assert smart.password("anna").status_code == 429  # the stranger's address stays refused for that name
    _start(smart, "198.51.100.7")  # the owner, from another address
    assert smart.password("anna").status_code == 303
    assert smart.code(smart.last_code(PHONE)).status_code == 303
