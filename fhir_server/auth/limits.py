"""Limits on guessing at the two-stage login, kept in MongoDB so that every worker shares them.

A password and a six-digit code are only as strong as the number of guesses an attacker gets.
Every counter is incremented atomically (one ``find_one_and_update``) *before* a guess is
evaluated, and the guess is evaluated only when the incremented count is within the limit; a
right guess hands its reservation back. Parallel requests, across threads, workers and hosts,
therefore get no more guesses than the same requests made one after another (reading a counter
and writing it back later let 24 parallel codes all be tried).

Counters in ``auth_limits``, each a fixed window that opens at its first failure and that
MongoDB purges (TTL index) once it is over:

- failed sign-ins per client network, ``_id`` ``ip|<network>``: ``FHIR_LOGIN_FAILURES_PER_IP`` (100) in
  15 minutes, then 429 with ``Retry-After`` on the login and code pages;
- wrong passwords per user name and network, ``_id`` ``pw|<SHA-256 of the name>|<network>``: 5 in 15
  minutes, then that name is refused from that network until the window ends;
- wrong passwords per user name from anywhere, ``_id`` ``acct|<SHA-256 of the name>``: 20 in 15
  minutes, then that name is refused (429, ``Retry-After``) until the window ends, unevaluated,
  except from the networks where the account completed a login in the last 90 days
  (``known|<SHA-256 of the name>|<network>``), which keep only their own limit of 5.

A client network is an IPv4 address, or the /64 of an IPv6 address: one host is handed a whole
/64, so counting per /128 gave it 2^64 addresses' worth of guesses.

Wrong passwords count per name *and* network, for unknown names exactly as for existing ones, so
the answers never tell whether a name exists, and a stranger can lock only their own network out
of an account; the per-network limit stops one network from trying many names. The per-name
window bounds the guesses at one password from many networks (a botnet) to 20 per 15 minutes
plus 5 per network the owner signs in from; it does refuse the owner at a new network while a
stranger keeps it full, but never at a network where the owner signed in before, so strangers
cannot lock the owner out of their usual places (and the one-time code is still to come).
Wrong one-time codes count on the account itself (accounts.py): only someone holding the
password can make them. The client address is the one the WSGI server sees (``REMOTE_ADDR``).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import request
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from fhir_server.auth.passwords import token_digest
from fhir_server.auth.storage import AuthStore, aware, utcnow

WINDOW = timedelta(minutes=15)
MAX_PASSWORD_FAILURES = 5  # per user name and client network in one window
MAX_ACCOUNT_FAILURES = 20  # per user name from every network in one window
KNOWN_NETWORK_TIME = timedelta(days=90)  # a network where the account signed in stays trusted this long
IPV6_PREFIX = 64
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
    """The network the limits count this client in: its IPv4 address, or its IPv6 /64."""
    return network_of(request.remote_addr)


def network_of(address: str | None) -> str:
    """``192.0.2.7`` -> itself, ``2001:db8:1:2:a:b:c:d`` -> ``2001:db8:1:2::/64``, an IPv4-mapped IPv6
    address -> its IPv4 address; anything else (a Unix socket's empty address) as it is."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


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
    """Reserve one wrong password of ``username`` (existing or not) from this client network."""
    name = _name_hash(username)
    return _hit(store, f"pw|{name}|{client_address()}", MAX_PASSWORD_FAILURES, name)


def reserve_account(store: AuthStore, username: str) -> Attempt:
    """Reserve one wrong password of ``username`` (existing or not) from any network."""
    name = _name_hash(username)
    return _hit(store, f"acct|{name}", MAX_ACCOUNT_FAILURES, name)


def known_network(store: AuthStore, username: str) -> bool:
    """Whether ``username`` completed a login from this client network within ``KNOWN_NETWORK_TIME``.
    Never true for an unknown name: nobody completes its login."""
    doc = store.limits.find_one({"_id": f"known|{_name_hash(username)}|{client_address()}"})
    return doc is not None and aware(doc["purge"]) > utcnow()


def remember_network(store: AuthStore, username: str) -> None:
    """A completed login (both factors) makes this network one the account's owner uses: the
    per-name window does not refuse it. Stored without ``name``, so ``users unlock`` keeps it."""
    store.limits.update_one({"_id": f"known|{_name_hash(username)}|{client_address()}"},
                            {"$set": {"purge": utcnow() + KNOWN_NETWORK_TIME}}, upsert=True)


def give_back(store: AuthStore, *attempts: Attempt) -> None:
    """A right guess is no failure: return its reservations (within the same windows only)."""
    for attempt in attempts:
        store.limits.update_one({"_id": attempt.key, "start": attempt.start}, {"$inc": {"count": -1}})


def forget_name(store: AuthStore, username: str, address: str | None = None) -> None:
    """Clear the wrong-password windows of ``username``: from one network after a completed
    login there; from every network, and the per-name window, when an administrator unlocks the
    account (``address`` None)."""
    name = _name_hash(username)
    if address is None:
        store.limits.delete_many({"name": name})
    else:
        store.limits.delete_one({"_id": f"pw|{name}|{network_of(address)}"})
