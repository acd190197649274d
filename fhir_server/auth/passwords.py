"""Secrets at rest: passwords, client secrets and one-time codes are stored only as scrypt hashes.

scrypt (RFC 7914) is a memory-hard key-derivation function in the standard library
(``hashlib.scrypt``); each hash carries its own random salt and cost parameters, so the cost can be
raised later without invalidating stored hashes. Comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

# N=2^14, r=8, p=1: the parameters RFC 7914 section 2 suggests for interactive logins (16 MiB).
N, R, P = 2**14, 8, 1
PREFIX = "scrypt"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str) -> str:
    """``scrypt$N$r$p$salt$hash`` of ``secret`` with a fresh 16-byte salt."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"{PREFIX}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str | None) -> bool:
    """Whether ``secret`` matches the ``stored`` hash (False for a missing or malformed hash)."""
    if not stored or not isinstance(secret, str):
        return False
    try:
        prefix, n, r, p, salt, digest = stored.split("$")
        if prefix != PREFIX:
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(secret.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def token_digest(token: str) -> str:
    """The lookup key of a bearer token, authorization code or refresh token.

    These are 256-bit random values, so a plain SHA-256 is enough to keep them useless if the
    database leaks (no salt or slow KDF is needed for high-entropy secrets), and it can be indexed.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
