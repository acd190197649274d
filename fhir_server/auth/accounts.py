"""User accounts: who may log in, how to reach them by SMS, and whom they are in FHIR.

- ``patient``: ``fhir_user`` is ``Patient/<id>``; reaches their own card;
- ``guardian``: no ``fhir_user``, ``links`` lists their ``RelatedPerson`` ids, one per child; reaches a
  child's card while the child is under 15 and the link active and verified;
- ``clinician``: ``Practitioner/<id>``; patients in their care, any card read-only by break-the-glass;
- ``ambulance``: ``Practitioner/<id>``; any card read-only by declaring emergency treatment.

Passwords are stored as scrypt hashes (passwords.py). Wrong one-time codes are counted on the
account (``code_budget``: the guesses left), across logins, until a login completes: only someone
holding the password reaches the code, so they must not get fresh guesses by starting new logins.
Wrong passwords are counted per name and client address instead (limits.py), so that a stranger
cannot lock the owner out.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from fhir_server.auth import limits
from fhir_server.auth.passwords import hash_secret, verify_secret
from fhir_server.auth.storage import AuthStore, aware, utcnow

ROLES = ("patient", "guardian", "clinician", "ambulance")


@functools.cache
def _unknown_user_hash() -> str:
    """What a password for an unknown name is checked against: the same scrypt cost as a real
    check, so the time an answer takes does not tell whether the name exists."""
    return hash_secret(secrets.token_urlsafe(32))


def _not_locked(now: datetime) -> dict[str, Any]:
    return {"$or": [{"locked_until": None}, {"locked_until": {"$lte": now}}]}


@dataclass
class User:
    username: str
    role: str
    phone: str
    name: str = ""
    fhir_user: str | None = None
    links: list[str] = field(default_factory=list)
    locked_until: datetime | None = None
    disabled: bool = False

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> User:
        locked = doc.get("locked_until")
        return cls(username=doc["_id"], role=doc["role"], phone=doc.get("phone", ""), name=doc.get("name", ""),
                   fhir_user=doc.get("fhir_user"), links=list(doc.get("links") or []),
                   locked_until=aware(locked) if locked else None, disabled=bool(doc.get("disabled")))


class Accounts:
    def __init__(self, store: AuthStore) -> None:
        self.store = store

    def get(self, username: str | None) -> User | None:
        if not isinstance(username, str) or not username:
            return None
        doc = self.store.users.find_one({"_id": username})
        return User.from_doc(doc) if doc else None

    def create(self, user: User, password: str) -> None:
        if user.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if user.role == "guardian" and user.fhir_user:
            raise ValueError("a guardian has no single FHIR identity: give RelatedPerson links instead")
        if user.role != "guardian" and not user.fhir_user:
            raise ValueError(f"a {user.role} needs a FHIR identity (Patient/<id> or Practitioner/<id>)")
        doc = {"_id": user.username, "role": user.role, "phone": user.phone, "name": user.name,
               "fhir_user": user.fhir_user, "links": user.links, "password": hash_secret(password),
               "code_budget": limits.MAX_CODE_FAILURES, "locked_until": None, "disabled": user.disabled}
        self.store.users.replace_one({"_id": user.username}, doc, upsert=True)

    def check_password(self, username: str, password: str) -> bool:
        """Whether ``password`` is the account's; an unknown name costs the same scrypt check."""
        doc = self.store.users.find_one({"_id": username}, {"password": 1}) if username else None
        matches = verify_secret(password, doc.get("password") if doc else _unknown_user_hash())
        return doc is not None and matches

    def set_password(self, username: str, password: str) -> bool:
        result = self.store.users.update_one({"_id": username}, {"$set": {"password": hash_secret(password)}})
        return result.matched_count == 1

    def take_code_attempt(self, username: str) -> int | None:
        """Reserve one guess of a one-time code, atomically; the guesses left after it, or None
        when the account is locked or has none left (then nothing may be checked)."""
        now = utcnow()
        has_budget = {"$or": [{"code_budget": {"$gt": 0}}, {"code_budget": {"$exists": False}}]}
        doc = self.store.users.find_one_and_update(
            {"_id": username, "$and": [_not_locked(now), has_budget]},
            [{"$set": {"code_budget": {"$subtract": [{"$ifNull": ["$code_budget", limits.MAX_CODE_FAILURES]}, 1]}}}],
            projection={"code_budget": 1}, return_document=ReturnDocument.AFTER)
        return None if doc is None else int(doc["code_budget"])

    def lock(self, username: str, until: datetime, code_budget: int | None = None) -> datetime:
        """Lock the account until ``until`` unless a lock is running already (hammering a locked
        account does not extend its lock); ``code_budget``: the code guesses it gets once the
        lock ends. Returns when the lock ends."""
        changes: dict[str, Any] = {"locked_until": until}
        if code_budget is not None:
            changes["code_budget"] = code_budget
        self.store.users.update_one({"_id": username, **_not_locked(utcnow())}, {"$set": changes})
        user = self.get(username)
        return user.locked_until if user and user.locked_until else until

    def login_completed(self, username: str) -> None:
        """Both factors were right: the code guesses come back and any lock-out ends."""
        self.store.users.update_one({"_id": username}, {"$set": {"code_budget": limits.MAX_CODE_FAILURES,
                                                                 "locked_until": None}})

    def unlock(self, username: str) -> bool:
        """``users unlock``: lift the lock-out, restore the code guesses and clear the wrong
        passwords counted for the name from every address."""
        result = self.store.users.update_one({"_id": username}, {"$set": {"locked_until": None,
                                                                          "code_budget": limits.MAX_CODE_FAILURES}})
        limits.forget_name(self.store, username)
        return result.matched_count == 1

    def delete(self, username: str) -> bool:
        return self.store.users.delete_one({"_id": username}).deleted_count == 1

    def all(self) -> list[User]:
        return [User.from_doc(d) for d in self.store.users.find().sort("_id")]
