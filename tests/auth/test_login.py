"""Two-stage login: password, then an SMS one-time code; hashing at rest, expiry, limits, lock-out."""

from __future__ import annotations

from datetime import timedelta

from fhir_server.auth import login
from fhir_server.auth.storage import utcnow
from tests.auth.helpers import PASSWORD

PHONE = "+79990000001"


def _start(smart):
    smart.fresh_browser()
    assert smart.authorize(smart.authorize_params()).status_code == 302


def test_a_new_code_at_every_login_sent_by_sms(smart):
    codes = []
    for _ in range(2):
        _start(smart)
        assert smart.password("anna").status_code == 303
        message = smart.last_sms(PHONE)
        assert message["to"] == PHONE and set(message) == {"to", "text"}
        codes.append(smart.last_code(PHONE))
    assert codes[0] != codes[1]  # two random six-digit codes (one chance in a million to collide)


def test_secrets_are_hashed_at_rest(smart):
    _start(smart)
    smart.password("anna")
    code = smart.last_code(PHONE)
    user = smart.service.auth_store.users.find_one({"_id": "anna"})
    assert user["password"].startswith("scrypt$") and PASSWORD not in str(user)
    [pending] = list(smart.service.auth_store.logins.find({"user": "anna"}))
    assert pending["code"].startswith("scrypt$") and code not in str(pending)
    client = smart.service.auth_store.clients.find_one({"_id": "secret-app"})
    assert client["secret_hash"].startswith("scrypt$")


def test_wrong_password_and_unknown_user_get_the_same_answer(smart):
    _start(smart)
    wrong = smart.password("anna", "nope")
    unknown = smart.password("nobody", "nope")
    assert wrong.status_code == unknown.status_code == 401
    assert login.WRONG_CREDENTIALS in wrong.get_data(as_text=True)
    assert login.WRONG_CREDENTIALS in unknown.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(smart):
    _start(smart)
    for _ in range(login.MAX_PASSWORD_FAILURES - 1):
        assert smart.password("anna", "nope").status_code == 401
    locked = smart.password("anna", "nope")
    assert locked.status_code == 429
    text = locked.get_data(as_text=True)
    assert "заблокирован до" in text and "locked until" in text
    _start(smart)
    assert smart.password("anna").status_code == 429  # even the right password, until the lock ends
    smart.service.accounts.unlock("anna")
    _start(smart)
    assert smart.password("anna").status_code == 303


def test_wrong_codes_count_down_then_lock(smart):
    _start(smart)
    smart.password("anna")
    first = smart.code("000000" if smart.last_code(PHONE) != "000000" else "111111")
    assert first.status_code == 401 and "осталось попыток: 4" in first.get_data(as_text=True)
    for _ in range(login.MAX_CODE_FAILURES - 2):
        assert smart.code("999999" if smart.last_code(PHONE) != "999999" else "111111").status_code == 401
    locked = smart.code("999999" if smart.last_code(PHONE) != "999999" else "111111")
    assert locked.status_code == 429 and "locked until" in locked.get_data(as_text=True)
    assert smart.service.accounts.get("anna").locked_until is not None


def test_codes_expire_after_five_minutes(smart):
    assert login.CODE_LIFETIME == timedelta(minutes=5)
    _start(smart)
    smart.password("anna")
    code = smart.last_code(PHONE)
    smart.service.auth_store.logins.update_many({}, {"$set": {"code_exp": utcnow() - timedelta(seconds=1)}})
    expired = smart.code(code)
    assert expired.status_code == 401 and "expired" in expired.get_data(as_text=True)


def test_resend_replaces_the_code_and_is_limited(smart):
    _start(smart)
    smart.password("anna")
    old = smart.last_code(PHONE)
    assert smart.code("", action="resend").status_code == 200
    new = smart.last_code(PHONE)
    if new != old:
        assert smart.code(old).status_code == 401
    for _ in range(login.MAX_RESENDS - 1):
        assert smart.code("", action="resend").status_code == 200
    locked = smart.code("", action="resend")
    assert locked.status_code == 429 and "locked until" in locked.get_data(as_text=True)


def test_steps_cannot_be_skipped_or_forged(smart):
    _start(smart)
    assert smart.web.get("/auth/consent").status_code == 400  # no password, no code yet
    assert smart.web.get("/auth/otp").status_code == 400
    page = smart.web.get("/auth/login")
    forged = smart.web.post("/auth/login", data={"csrf": "forged", "username": "anna", "password": PASSWORD})
    assert forged.status_code == 400 and page.status_code == 200
    smart.fresh_browser()  # another browser has no login at all
    assert smart.web.get("/auth/login").status_code == 400
