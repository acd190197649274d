"""User accounts: who may log in, how to reach them by SMS, and whom they are in FHIR.

| role | ``fhir_user`` | reach |
|---|---|---|
| ``patient`` | ``Patient/<id>`` | their own card |
| ``guardian`` | none; ``links`` lists their ``RelatedPerson`` ids, one per child | a child's card while the child is under 15 and the link active and verified |
| ``clinician`` | ``Practitioner/<id>`` | patients in their care; any card read-only by break-the-glass |
| ``ambulance`` | ``Practitioner/<id>`` | any card read-only by declaring emergency treatment |

Passwords are stored as scrypt hashes (passwords.py). Failed logins are counted on the account;
too many lock it for a while (login.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fhir_server.auth.passwords import hash_secret, verify_secret
from fhir_server.auth.storage import AuthStore, aware

ROLES = ("patient", "guardian", "clinician", "ambulance")


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
               "failed": 0, "locked_until": None, "disabled": user.disabled}
        self.store.users.replace_one({"_id": user.username}, doc, upsert=True)

    def check_password(self, username: str, password: str) -> bool:
        doc = self.store.users.find_one({"_id": username}, {"password": 1})
        return bool(doc) and verify_secret(password, doc.get("password"))

    def set_password(self, username: str, password: str) -> bool:
        result = self.store.users.update_one({"_id": username}, {"$set": {"password": hash_secret(password)}})
        return result.matched_count == 1

    def record_failure(self, username: str) -> int:
        doc = self.store.users.find_one_and_update({"_id": username}, {"$inc": {"failed": 1}},
                                                   projection={"failed": 1}, return_document=True)
        return int(doc["failed"]) if doc else 0

    def lock(self, username: str, until: datetime) -> None:
        self.store.users.update_one({"_id": username}, {"$set": {"locked_until": until, "failed": 0}})

    def unlock(self, username: str) -> bool:
        result = self.store.users.update_one({"_id": username}, {"$set": {"locked_until": None, "failed": 0}})
        return result.matched_count == 1

    def reset_failures(self, username: str) -> None:
        self.store.users.update_one({"_id": username}, {"$set": {"failed": 0}})

    def delete(self, username: str) -> bool:
        return self.store.users.delete_one({"_id": username}).deleted_count == 1

    def all(self) -> list[User]:
        return [User.from_doc(d) for d in self.store.users.find().sort("_id")]
