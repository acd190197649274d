"""Apps with authorization on, a small world of patients, accounts and clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_server.auth.accounts import Accounts
from fhir_server.storage.mongo import Store
from tests.auth.helpers import BASE, CLIENTS, PASSWORD, SECRET, USERS, Smart, load, world_resources


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for the session: the signing key is generated once."""
    return tmp_path_factory.mktemp("auth-data")


@pytest.fixture()
def auth_app(store: Store, key_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    from fhir_server.app import create_app
    from fhir_server.config import Settings

    settings = Settings(base_url=BASE, auth="on", data_dir=key_dir, sms_outbox=tmp_path / "sms.jsonl")
    application = create_app(settings, store=store)
    application.config["TESTING"] = True
    return application


@pytest.fixture(scope="session")
def password_hash() -> str:
    from fhir_server.auth.passwords import hash_secret

    return hash_secret(PASSWORD)


@pytest.fixture()
def smart(auth_app, tmp_path: Path, password_hash: str, monkeypatch: pytest.MonkeyPatch) -> Smart:  # type: ignore[no-untyped-def]
    from fhir_server.auth import accounts

    real_hash = accounts.hash_secret
    # The world's accounts share one scrypt hash computed once per session (scrypt is slow on purpose).
    monkeypatch.setattr(accounts, "hash_secret", lambda secret: password_hash if secret == PASSWORD
                        else real_hash(secret))
    helper = Smart(auth_app, tmp_path / "sms.jsonl")
    service = helper.service
    load(service.resources, world_resources())
    for user in USERS:
        service.accounts.create(user, PASSWORD)
    for client in CLIENTS:
        service.clients.register(client, SECRET if client.auth_method == "client_secret_basic" else None)
    return helper


@pytest.fixture()
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The user names whose password was actually checked."""
    seen: list[str] = []
    real = Accounts.check_password

    def counting(self: Accounts, username: str, password: str) -> bool:
        seen.append(username)
        return real(self, username, password)

    monkeypatch.setattr(Accounts, "check_password", counting)
    return seen
