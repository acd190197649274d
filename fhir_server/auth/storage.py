"""The authorization server's MongoDB collections (next to ``resources`` and ``history``).

| collection | ``_id`` | holds |
|---|---|---|
| ``auth_clients`` | client id | registered apps (clients.py) |
| ``auth_users`` | user name | accounts: password hash, phone, role, FHIR identity, lock-out (accounts.py) |
| ``auth_requests`` | random | a pending authorization request while the user logs in (app_launch.py) |
| ``auth_logins`` | random | one two-stage login: stage, one-time code hash, attempts (login.py) |
| ``auth_codes`` | SHA-256 of the code | issued authorization codes, single use (app_launch.py) |
| ``auth_tokens`` | SHA-256 of the access token | issued tokens; ``rt`` the SHA-256 of the refresh token (tokens.py) |
| ``auth_launches`` | random | EHR launch contexts (app_launch.py) |
| ``auth_jti`` | client + jti | client assertions already used (backend_services.py) |
| ``auth_limits`` | kind + subject | failed sign-ins per network, per name and network, per name (limits.py) |

Short-lived documents carry ``purge`` (a date) under a TTL index, so MongoDB deletes them once
useless; the code never relies on that for expiry and checks the times itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database

TTL = IndexModel([("purge", ASCENDING)], name="purge", expireAfterSeconds=0)
INDEXES: dict[str, list[IndexModel]] = {
    "auth_requests": [TTL],
    "auth_logins": [TTL],
    "auth_codes": [TTL],
    "auth_tokens": [TTL, IndexModel([("rt", ASCENDING)], name="refresh", unique=True,
                                    partialFilterExpression={"rt": {"$type": "string"}}),
                    IndexModel([("family", ASCENDING)], name="family"),
                    IndexModel([("subject", ASCENDING), ("iat", ASCENDING)], name="subject")],
    "auth_launches": [TTL],
    "auth_jti": [TTL],
    "auth_limits": [TTL, IndexModel([("name", ASCENDING)], name="name", sparse=True)],
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """Datetimes read back from a MongoClient without ``tz_aware`` are naive UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class AuthStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure_indexes(self) -> None:
        for name, indexes in INDEXES.items():
            self.db[name].create_indexes(indexes)

    @property
    def clients(self) -> Collection:
        return self.db["auth_clients"]

    @property
    def users(self) -> Collection:
        return self.db["auth_users"]

    @property
    def requests(self) -> Collection:
        return self.db["auth_requests"]

    @property
    def logins(self) -> Collection:
        return self.db["auth_logins"]

    @property
    def codes(self) -> Collection:
        return self.db["auth_codes"]

    @property
    def tokens(self) -> Collection:
        return self.db["auth_tokens"]

    @property
    def launches(self) -> Collection:
        return self.db["auth_launches"]

    @property
    def jti(self) -> Collection:
        return self.db["auth_jti"]

    @property
    def limits(self) -> Collection:
        return self.db["auth_limits"]
