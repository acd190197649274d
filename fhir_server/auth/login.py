"""Two-stage login, like a bank: user name and password, then a one-time code sent by SMS.

Every authorization request starts a fresh login (``auth_logins``), bound to the browser by an
HttpOnly, SameSite=Lax cookie holding a random handle (only its SHA-256 is stored) and to its forms
by a CSRF value. The handle and the CSRF value are replaced after the password and again after
the code, and the old handle stops working: a handle planted in a browser before the login
(session fixation) is worth nothing once the user has signed in. A new six-digit code is
generated at every login, sent through the SMS gateway (sms.py) and stored as a scrypt hash; it
expires after five minutes.

Limits (limits.py), each counted atomically before a guess is checked:

- every wrong password or code counts against the client address; past
  ``FHIR_LOGIN_FAILURES_PER_IP`` in 15 minutes the login and code pages answer 429 with
  ``Retry-After``;
- five wrong passwords for one user name from one network (an IPv4 address, an IPv6 /64) refuse
  that name from that network for the rest of the 15 minutes, with a message saying until when;
  twenty from any networks refuse the name, unevaluated, everywhere but at the networks where the
  account completed a login before; unknown names are counted and answered exactly like existing
  ones (the same pages, the same scrypt cost);
- five wrong codes for an account, across logins, lock the account for 15 minutes; after that one
  more wrong code locks it again, until a login completes; more than three new codes in one login
  lock it too. The account's lock-out is shown only after the right password.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Response, redirect, request

from fhir_server.auth import limits, pages
from fhir_server.auth.eligibility import patient_account_problem
from fhir_server.auth.limits import LOCK_TIME, MAX_CODE_FAILURES, MAX_PASSWORD_FAILURES
from fhir_server.auth.passwords import hash_secret, token_digest, verify_secret
from fhir_server.auth.storage import aware, utcnow

if TYPE_CHECKING:
    from fhir_server.auth.accounts import User
    from fhir_server.auth.server import AuthService

__all__ = ["COOKIE", "CODE_LIFETIME", "LOCK_TIME", "MAX_CODE_FAILURES", "MAX_PASSWORD_FAILURES", "MAX_RESENDS",
           "code_step", "current", "expired", "finish", "password_step", "start"]

COOKIE = "emc_login"
LOGIN_LIFETIME = timedelta(minutes=30)
CODE_LIFETIME = timedelta(minutes=5)
MAX_RESENDS = 3
WRONG_CREDENTIALS = "Неверное имя пользователя или пароль. Wrong user name or password."


def start(service: AuthService, request_id: str | None) -> Response:
    """Open a login for a kept authorization request (None: for the management page) and send the
    browser to the password form."""
    handle = secrets.token_urlsafe(32)
    service.auth_store.logins.insert_one({"_id": token_digest(handle), "request": request_id, "stage": "password",
                                          "csrf": secrets.token_urlsafe(24), "purge": utcnow() + LOGIN_LIFETIME})
    return _with_cookie(service, redirect(service.endpoint("login"), code=302), handle)


def _with_cookie(service: AuthService, response: Response, handle: str) -> Response:
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


def _advance(service: AuthService, login: dict[str, Any], changes: dict[str, Any]) -> str | None:
    """Move the login to its next stage under a new handle and CSRF value (``changes``: fields to
    set, None to drop); the old handle is deleted in the same step, so of two requests racing on
    one login only one moves it. The new handle, or None when the login was gone meanwhile."""
    logins = service.auth_store.logins
    old = logins.find_one_and_delete({"_id": login["_id"], "stage": login["stage"]})
    if old is None:
        return None
    handle = secrets.token_urlsafe(32)
    moved = {**old, **{k: v for k, v in changes.items() if v is not None}}
    for dropped in [k for k, v in changes.items() if v is None]:
        moved.pop(dropped, None)
    moved.update(_id=token_digest(handle), csrf=secrets.token_urlsafe(24))
    logins.insert_one(moved)
    return handle


def finish(service: AuthService, login: dict[str, Any], response: Response) -> Response:
    service.auth_store.logins.delete_one({"_id": login["_id"]})
    response.delete_cookie(COOKIE, path="/auth")
    return response


def expired() -> Response:
    return pages.message("Сеанс входа истёк · The sign-in session expired",
                         "Вернитесь в приложение и начните вход заново. Go back to the app and sign in again.",
                         status=400)


def _retry_after(response: Response, until: datetime) -> Response:
    response.headers["Retry-After"] = str(max(1, int((aware(until) - utcnow()).total_seconds()) + 1))
    return response


def locked_page(until: datetime) -> Response:
    local = aware(until).astimezone(_moscow()).strftime("%H:%M")
    return _retry_after(pages.message(
        "Вход временно заблокирован · Sign-in locked",
        f"Слишком много неудачных попыток. Вход заблокирован до {local} по московскому времени. "
        f"Too many failed attempts: sign-in is locked until {local} Moscow time.", status=429), until)


def too_many_page(attempt: limits.Attempt) -> Response:
    """The answer to a client address that used up its failed sign-ins."""
    minutes = max(1, round(attempt.retry_after() / 60))
    response = pages.message("Слишком много попыток входа · Too many sign-in attempts",
                             f"Слишком много неудачных попыток входа с вашего адреса: повторите через {minutes} мин. "
                             f"Too many failed sign-in attempts from your address: try again in {minutes} min.",
                             status=429)
    response.headers["Retry-After"] = str(attempt.retry_after())
    return response


def _not_eligible(problem: str) -> Response:
    return pages.message("Учётная запись пациента недоступна · Patient account unavailable",
                         "Эта учётная запись пациента больше не может использоваться; обратитесь в свою поликлинику. "
                         f"This patient account can no longer be used ({problem}); ask your clinic.", status=403)


def _moscow() -> Any:
    from fhir_server.access.policy import MOSCOW

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


def _address_blocked(service: AuthService) -> limits.Attempt | None:
    return limits.address_blocked(service.auth_store, service.settings.login_failures_per_ip)


def password_step(service: AuthService) -> Response:
    blocked = _address_blocked(service)
    if blocked is not None:
        return too_many_page(blocked)
    login = current(service, "password")
    if login is None:
        return expired()
    context = {"action": service.endpoint("login"), "csrf": login["csrf"], "client_name": _client_name(service, login)}
    if request.method == "GET":
        return pages.page("login.html", **context)
    username = str(request.form.get("username", "")).strip()
    password = str(request.form.get("password", ""))
    store = service.auth_store
    address = limits.reserve_address(store, service.settings.login_failures_per_ip)
    if not address.allowed:
        return too_many_page(address)
    name = limits.reserve_name(store, username)
    if not name.allowed:
        return finish(service, login, locked_page(name.until))
    account = limits.reserve_account(store, username)
    # A full per-name window refuses every network but the owner's known ones (limits.py).
    bounded = not limits.known_network(store, username)
    if bounded and not account.allowed:
        return finish(service, login, locked_page(account.until))
    user = service.accounts.get(username)
    if not service.accounts.check_password(username, password) or user is None or user.disabled:
        if name.last or (bounded and account.last):
            return finish(service, login, locked_page(name.until if name.last else account.until))
        return pages.page("login.html", status=401, error=WRONG_CREDENTIALS, username=username, **context)
    limits.give_back(store, address, name, account)
    if _is_locked(user):
        return finish(service, login, locked_page(user.locked_until))  # type: ignore[arg-type]  # werkzeug Response is what flask returns
    if user.role == "patient":
        problem = patient_account_problem(service.resources, user.fhir_user)
        if problem is not None:
            return finish(service, login, _not_eligible(problem))
    code = _new_code()
    handle = _advance(service, login, {"stage": "otp", "user": username, "resends": 0, **_code_fields(code)})
    if handle is None:
        return expired()
    _send(service, user, code)
    return _with_cookie(service, redirect(service.endpoint("otp"), code=303), handle)


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _code_fields(code: str) -> dict[str, Any]:
    return {"code": hash_secret(code), "code_exp": utcnow() + CODE_LIFETIME}


def _send(service: AuthService, user: User, code: str) -> None:
    service.sms.send(user.phone, f"ЕМК: код для входа {code}. Никому его не сообщайте. Действует 5 минут.")


def _masked(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    return "***" + "".join(digits[-4:]) if len(digits) >= 4 else "***"


def code_step(service: AuthService) -> Response:
    blocked = _address_blocked(service)
    if blocked is not None:
        return too_many_page(blocked)
    login = current(service, "otp")
    if login is None:
        return expired()
    user = service.accounts.get(login["user"])
    if user is None or user.disabled:
        return finish(service, login, expired())
    if _is_locked(user):
        return finish(service, login, locked_page(user.locked_until))  # type: ignore[arg-type]  # werkzeug Response is what flask returns
    context = {"action": service.endpoint("otp"), "csrf": login["csrf"], "phone": _masked(user.phone),
               "resends_left": MAX_RESENDS - login["resends"]}
    if request.method == "GET":
        return pages.page("otp.html", **context)
    if request.form.get("action") == "resend":
        return _resend(service, login, user, context)
    code = str(request.form.get("code", "")).strip()
    if aware(login["code_exp"]) <= utcnow():
        return pages.page("otp.html", status=401, error="Срок действия кода истёк: запросите новый. "
                                                        "The code expired: ask for a new one.", **context)
    address = limits.reserve_address(service.auth_store, service.settings.login_failures_per_ip)
    if not address.allowed:
        return too_many_page(address)
    left = service.accounts.take_code_attempt(user.username)
    if left is None:  # locked, or the last guesses are being checked by other requests
        return _lock(service, login, user)
    if not (len(code) == 6 and code.isdigit() and verify_secret(code, login["code"])):
        if left == 0:
            return _lock(service, login, user)
        return pages.page("otp.html", status=401, error=f"Неверный код, осталось попыток: {left}. "
                                                        f"Wrong code, attempts left: {left}.", **context)
    limits.give_back(service.auth_store, address)
    after = "consent" if login["request"] is not None else "manage"
    handle = _advance(service, login, {"stage": after, "auth_time": int(utcnow().timestamp()), "code": None,
                                       "code_exp": None})
    if handle is None:
        return expired()
    service.accounts.login_completed(user.username)
    limits.forget_name(service.auth_store, user.username, limits.client_address())
    limits.remember_network(service.auth_store, user.username)
    return _with_cookie(service, redirect(service.endpoint(after), code=303), handle)


def _resend(service: AuthService, login: dict[str, Any], user: User, context: dict[str, Any]) -> Response:
    """A new code replaces the old one; the count is taken atomically, so parallel requests cannot
    send more than ``MAX_RESENDS`` messages."""
    code = _new_code()
    taken = service.auth_store.logins.find_one_and_update(
        {"_id": login["_id"], "stage": "otp", "resends": {"$lt": MAX_RESENDS}},
        {"$inc": {"resends": 1}, "$set": _code_fields(code)}, projection={"resends": 1}, return_document=True)
    if taken is None:
        return _lock(service, login, user, code_budget=None)
    _send(service, user, code)
    context["resends_left"] = MAX_RESENDS - int(taken["resends"])
    return pages.page("otp.html", info="Новый код отправлен. A new code was sent.", **context)


def _lock(service: AuthService, login: dict[str, Any], user: User, code_budget: int | None = 1) -> Response:
    """End the login and lock the account; after a lock for wrong codes (``code_budget`` 1) one
    more wrong code locks it again."""
    until = service.accounts.lock(user.username, utcnow() + LOCK_TIME, code_budget=code_budget)
    return finish(service, login, locked_page(until))
