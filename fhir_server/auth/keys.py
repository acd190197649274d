"""The server's signing key (RS256, for OpenID Connect id_tokens) and its JWKS.

Generated at first start into ``$FHIR_DATA_DIR/keys/`` (never in the repository) and shared by all
workers: the first writer wins through an atomic ``link``, the others read its key.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from joserfc.jwk import RSAKey

FILE = "signing-key.jwk.json"


class SigningKey:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "keys" / FILE
        self.key = self._load_or_create()
        self.kid = str(self.key.kid)

    def _load_or_create(self) -> RSAKey:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, private=True, auto_kid=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".key-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(key.as_dict(private=True), handle)
                os.chmod(tmp, 0o600)
                try:
                    os.link(tmp, self.path)
                except FileExistsError:
                    pass  # another worker was first: use its key
            finally:
                os.unlink(tmp)
        with self.path.open(encoding="utf-8") as handle:
            return RSAKey.import_key(json.load(handle))

    def public_jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        public.setdefault("kid", self.kid)
        public.setdefault("use", "sig")
        public.setdefault("alg", "RS256")
        return {"keys": [public]}
