"""Two-stage login, like a bank: user name and password, then a one-time code sent by SMS.

Every authorization request starts a fresh login (``auth_logins``), bound to the browser by an
HttpOnly, SameSite=Lax cookie holding a random handle (only its SHA-256 is stored) and to its forms
by a CSRF value. A new six-digit code is generated at every login, sent through the SMS gateway
(sms.py) and stored as a scrypt hash; it expires after five minutes.

Limits, then a lock-out of the account for 15 minutes with a message saying until when:
five wrong passwords in a row; five wrong codes in one login; more than three new codes in one
login. An unknown user name gets the same answer as a wrong password.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Response, redirect, request

from fhir_server.auth import pages
from fhir_server.auth.passwords import hash_secret, token_digest, verify_secret
from fhir_server.auth.storage import aware, utcnow

if TYPE_CHECKING:
    from fhir_server.auth.accounts import User
    from fhir_server.auth.server import AuthService

COOKIE = "emc_login"
LOGIN_LIFETIME = timedelta(minutes=30)
CODE_LIFETIME = timedelta(minutes=5)
MAX_PASSWORD_FAILURES = 5
MAX_CODE_FAILURES = 5
MAX_RESENDS = 3
LOCK_TIME = timedelta(minutes=15)
WRONG_CREDENTIALS = "Неверное имя пользователя или пароль. Wrong user name or password."


def start(service: AuthService, request_id: str | None) -> Response:
    """Open a login for a kept authorization request (None: for the management page) and send the
    browser to the password form."""
    handle = secrets.token_urlsafe(32)
    now = utcnow()
    service.auth_store.logins.insert_one({"_id": token_digest(handle), "request": request_id, "stage": "password",
                                          "csrf": secrets.token_urlsafe(24), "purge": now + LOGIN_LIFETIME})
    response = redirect(service.endpoint("login"), code=302)
    response.set_cookie(COOKIE, handle, max_age=int(LOGIN_LIFETIME.total_seconds()), path="/auth", httponly=True,
                        samesite="Lax", secure=service.base_url.startswith("https://"))
    return response


def current(service: AuthService, stage: str) -> dict[str, Any] | None:
    """The browser's login, if it exists, is not stale, is at ``stage`` and (for a POST) the form is its own."""
    handle = request.cookies.get(COOKIE)
    if not handle:
        return None
    doc = service.auth_store.logins.find_one({"_id": token_digest(handle)})
    if not doc or aware(doc["purge"]) <= utcnow() or doc["stage"] != stage:
        return None
    if request.method == "POST" and not hmac.compare_digest(str(request.form.get("csrf", "")), doc["csrf"]):
        return None
    return doc


def finish(service: AuthService, login: dict[str, Any], response: Response) -> Response:
    service.auth_store.logins.delete_one({"_id": login["_id"]})
    response.delete_cookie(COOKIE, path="/auth")
    return response


def expired() -> Response:
    return pages.message("Сеанс входа истёк · The sign-in session expired",
                         "Вернитесь в приложение и начните вход заново. Go back to the app and sign in again.",
                         status=400)


def locked_page(until: Any) -> Response:
    local = aware(until).astimezone(_moscow()).strftime("%H:%M")
    return pages.message("Вход временно заблокирован · Sign-in locked",
                         f"Слишком много неудачных попыток. Вход заблокирован до {local} по московскому времени. "
                         f"Too many failed attempts: sign-in is locked until {local} Moscow time.",
                         status=429)


def _moscow() -> Any:
    from fhir_server.access_policy import MOSCOW

    return MOSCOW


def _is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def _client_name(service: AuthService, login: dict[str, Any]) -> str:
    from fhir_server.auth.app_launch import stored_request

    if login["request"] is None:
        return "ЕМК: управление доступом · EMC access management"
    kept = stored_request(service, login["request"]) or {}
    client = service.clients.get(kept.get("client_id"))
    return client.name if client else "?"


def password_step(service: AuthService) -> Response:
    login = current(service, "password")
    if login is None:
        return expired()
    context = {"action": service.endpoint("login"), "csrf": login["csrf"], "client_name": _client_name(service, login)}
    if request.method == "GET":
        return pages.page("login.html", **context)
    username = str(request.form.get("username", "")).strip()
    password = str(request.form.get("password", ""))
    user = service.accounts.get(username)
    if user is not None and _is_locked(user):
        return locked_page(user.locked_until)
    if user is None or user.disabled or not service.accounts.check_password(username, password):
        if user is not None and service.accounts.record_failure(username) >= MAX_PASSWORD_FAILURES:
            until = utcnow() + LOCK_TIME
            service.accounts.lock(username, until)
            return finish(service, login, locked_page(until))
        return pages.page("login.html", status=401, error=WRONG_CREDENTIALS, username=username, **context)
    service.accounts.reset_failures(username)
    _send_code(service, login["_id"], user, {"stage": "otp", "user": username, "code_failures": 0, "resends": 0})
    return redirect(service.endpoint("otp"), code=303)


def _send_code(service: AuthService, login_id: str, user: User, updates: dict[str, Any]) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    service.auth_store.logins.update_one({"_id": login_id}, {"$set": {
        **updates, "code": hash_secret(code), "code_exp": utcnow() + CODE_LIFETIME}})
    service.sms.send(user.phone, f"ЕМК: код для входа {code}. Никому его не сообщайте. Действует 5 минут.")


def _masked(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    return "***" + "".join(digits[-4:]) if len(digits) >= 4 else "***"


def code_step(service: AuthService) -> Response:
    login = current(service, "otp")
    if login is None:
        return expired()
    user = service.accounts.get(login["user"])
    if user is None or user.disabled:
        return finish(service, login, expired())
    if _is_locked(user):
        return finish(service, login, locked_page(user.locked_until))
    context = {"action": service.endpoint("otp"), "csrf": login["csrf"], "phone": _masked(user.phone),
               "resends_left": MAX_RESENDS - login["resends"]}
    if request.method == "GET":
        return pages.page("otp.html", **context)
    if request.form.get("action") == "resend":
        if login["resends"] >= MAX_RESENDS:
            return _lock(service, login, user)
        _send_code(service, login["_id"], user, {"resends": login["resends"] + 1})
        context["resends_left"] = MAX_RESENDS - login["resends"] - 1
        return pages.page("otp.html", info="Новый код отправлен. A new code was sent.", **context)
    code = str(request.form.get("code", "")).strip()
    if aware(login["code_exp"]) <= utcnow():
        return pages.page("otp.html", status=401, error="Срок действия кода истёк: запросите новый. "
                                                        "The code expired: ask for a new one.", **context)
    if not (len(code) == 6 and code.isdigit() and verify_secret(code, login["code"])):
        failures = login["code_failures"] + 1
        if failures >= MAX_CODE_FAILURES:
            return _lock(service, login, user)
        service.auth_store.logins.update_one({"_id": login["_id"]}, {"$set": {"code_failures": failures}})
        left = MAX_CODE_FAILURES - failures
        return pages.page("otp.html", status=401, error=f"Неверный код, осталось попыток: {left}. "
                                                        f"Wrong code, attempts left: {left}.", **context)
    after = "consent" if login["request"] is not None else "manage"
    service.auth_store.logins.update_one({"_id": login["_id"]}, {
        "$set": {"stage": after, "auth_time": int(utcnow().timestamp())}, "$unset": {"code": ""}})
    return redirect(service.endpoint(after), code=303)


def _lock(service: AuthService, login: dict[str, Any], user: User) -> Response:
    until = utcnow() + LOCK_TIME
    service.accounts.lock(user.username, until)
    return finish(service, login, locked_page(until))
