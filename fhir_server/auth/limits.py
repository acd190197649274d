"""Limits on guessing at the two-stage login, kept in MongoDB so that every worker shares them.

A password and a six-digit code are only as strong as the number of guesses an attacker gets.
Every counter is incremented atomically (one ``find_one_and_update``) *before* a guess is
evaluated, and the guess is evaluated only when the incremented count is within the limit; a
right guess hands its reservation back. Parallel requests, across threads, workers and hosts,
therefore get no more guesses than the same requests made one after another (reading a counter
and writing it back later let 24 parallel codes all be tried).

Counters in ``auth_limits``, each a fixed window that opens at its first failure and that
MongoDB purges (TTL index) once it is over:

- failed sign-ins per client address, ``_id`` ``ip|<address>``: ``FHIR_LOGIN_FAILURES_PER_IP`` (100) in
  15 minutes, then 429 with ``Retry-After`` on the login and code pages;
- wrong passwords per user name and address, ``_id`` ``pw|<SHA-256 of the name>|<address>``: 5 in 15
  minutes, then that name is refused from that address until the window ends.

Wrong passwords count per name *and* address, for unknown names exactly as for existing ones, so
the answers never tell whether a name exists, and a stranger can lock only their own address out
of an account, never the owner; the per-address limit stops one address from trying many names.
Wrong one-time codes count on the account itself (accounts.py): only someone holding the
password can make them. The client address is the one the WSGI server sees (``REMOTE_ADDR``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import request
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from fhir_server.auth.passwords import token_digest
from fhir_server.auth.storage import AuthStore, aware, utcnow

WINDOW = timedelta(minutes=15)
MAX_PASSWORD_FAILURES = 5  # per user name and client address in one window
MAX_CODE_FAILURES = 5  # per account until a login completes (accounts.py)
LOCK_TIME = timedelta(minutes=15)  # an account's lock-out after too many wrong codes


@dataclass(frozen=True)
class Attempt:
    """One reserved guess: the window's count including it, and when the window ends."""

    key: str
    count: int
    start: datetime
    limit: int

    @property
    def allowed(self) -> bool:
        """Whether this guess may be evaluated."""
        return self.count <= self.limit

    @property
    def last(self) -> bool:
        """Whether this was the last guess the window allows: failing it closes the window."""
        return self.count >= self.limit

    @property
    def until(self) -> datetime:
        return self.start + WINDOW

    def retry_after(self) -> int:
        """Seconds until the window ends (HTTP ``Retry-After``), at least one."""
        return max(1, math.ceil((self.until - utcnow()).total_seconds()))


def client_address() -> str:
    return request.remote_addr or "unknown"


def _name_hash(username: str) -> str:
    # Names are hashed: people type passwords into the name field, and unknown names are kept too.
    return token_digest(f"user-name:{username}")


def _hit(store: AuthStore, key: str, limit: int, name: str | None = None) -> Attempt:
    """Count one more failure in ``key``'s window (opening a new window when the last one is over)."""
    now = utcnow()
    stale = {"$lte": [{"$ifNull": ["$start", None]}, now - WINDOW]}
    fields: dict[str, object] = {"start": {"$cond": [stale, now, "$start"]},
                                 "count": {"$cond": [stale, 1, {"$add": ["$count", 1]}]}}
    if name is not None:
        fields["name"] = name
    pipeline = [{"$set": fields}, {"$set": {"purge": {"$add": ["$start", int(WINDOW.total_seconds() * 1000)]}}}]
    try:
        doc = store.limits.find_one_and_update({"_id": key}, pipeline, upsert=True,
                                               return_document=ReturnDocument.AFTER)
    except DuplicateKeyError:  # two first failures at once: the other one inserted the window
        doc = store.limits.find_one_and_update({"_id": key}, pipeline, return_document=ReturnDocument.AFTER)
    return Attempt(key, int(doc["count"]), aware(doc["start"]), limit)


def _current(store: AuthStore, key: str, limit: int) -> Attempt | None:
    doc = store.limits.find_one({"_id": key})
    if doc is None or aware(doc["start"]) <= utcnow() - WINDOW:
        return None
    return Attempt(key, int(doc["count"]), aware(doc["start"]), limit)


def address_blocked(store: AuthStore, per_address: int) -> Attempt | None:
    """This client address's window when it has used up its failures, else None."""
    current = _current(store, f"ip|{client_address()}", per_address)
    return current if current is not None and current.last else None


def reserve_address(store: AuthStore, per_address: int) -> Attempt:
    """Reserve one failure of this client address before a password or code is checked."""
    return _hit(store, f"ip|{client_address()}", per_address)


def reserve_name(store: AuthStore, username: str) -> Attempt:
    """Reserve one wrong password of ``username`` (existing or not) from this client address."""
    name = _name_hash(username)
    return _hit(store, f"pw|{name}|{client_address()}", MAX_PASSWORD_FAILURES, name)


def give_back(store: AuthStore, *attempts: Attempt) -> None:
    """A right guess is no failure: return its reservations (within the same windows only)."""
    for attempt in attempts:
        store.limits.update_one({"_id": attempt.key, "start": attempt.start}, {"$inc": {"count": -1}})


def forget_name(store: AuthStore, username: str, address: str | None = None) -> None:
    """Clear the wrong-password windows of ``username``: from one address after a completed
    login there, from every address when an administrator unlocks the account."""
    name = _name_hash(username)
    if address is None:
        store.limits.delete_many({"name": name})
    else:
        store.limits.delete_one({"_id": f"pw|{name}|{address}"})
