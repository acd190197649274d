"""``python -m fhir_server clients ...`` / ``users ...`` and the demo accounts of ``make run``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey

from fhir_server.auth.accounts import Accounts
from fhir_server.auth.clients import ClientRegistry
from fhir_server.auth.storage import AuthStore
from fhir_server.storage.mongo import Store
from fhir_server.storage.store import ResourceStore
from tests.auth.helpers import load, patient


@pytest.fixture()
def cli_env(store: Store, mongo_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AuthStore:
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("FHIR_DB_NAME", store.db.name)
    monkeypatch.setenv("FHIR_DATA_DIR", str(tmp_path))
    return AuthStore(store.db)


def _main(*argv: str) -> int:
    from fhir_server.cli import main

    return main(list(argv))


def test_clients_add_list_secret_remove(cli_env, capsys, tmp_path):
    assert _main("clients", "add", "app1", "--name", "App", "--redirect-uri", "https://app.example/cb",
                 "--scope", "launch/patient patient/*.rs") == 0
    assert _main("clients", "add", "app2", "--name", "Clinic", "--auth", "client_secret_basic", "--redirect-uri",
                 "https://clinic.example/cb", "--scope", "user/*.rs") == 0
    out = capsys.readouterr().out
    secret = out.split("client secret (shown once): ")[1].split()[0]
    assert ClientRegistry(cli_env).get("app2").check_client_secret(secret)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [RSAKey.generate_key(2048, auto_kid=True).as_dict(private=False)]}))
    assert _main("clients", "add", "svc", "--name", "Backend", "--auth", "private_key_jwt", "--backend",
                 "--jwks", str(jwks), "--scope", "system/*.rs") == 0
    assert ClientRegistry(cli_env).get("svc").grant_types == ["client_credentials"]
    assert _main("clients", "list") == 0
    assert "app1\tnone" in capsys.readouterr().out
    assert _main("clients", "secret", "app2") == 0
    assert _main("clients", "remove", "app1") == 0 and ClientRegistry(cli_env).get("app1") is None
    assert _main("clients", "add", "bad", "--name", "x", "--scope", "user/*.rs") == 2  # no redirect URI


def test_users_add_password_unlock_revoke_remove(cli_env, store, capsys, monkeypatch):
    load(ResourceStore(store), [patient("p1", "Ivanova", "1980-05-01")])  # an adult with an MHI policy
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough password\n"))
    assert _main("users", "add", "anna", "--role", "patient", "--phone", "+79990000001", "--fhir-user",
                 "Patient/p1", "--password-stdin") == 0
    accounts = Accounts(cli_env)
    assert accounts.check_password("anna", "long enough password")
    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert _main("users", "password", "anna", "--password-stdin") == 0
    assert accounts.check_password("anna", "another password")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert _main("users", "add", "x", "--role", "patient", "--phone", "1", "--fhir-user", "Patient/p1",
                 "--password-stdin") == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("guardian password\n"))
    assert _main("users", "add", "olga", "--role", "guardian", "--phone", "+7999", "--link", "rp1", "--link", "rp2",
                 "--password-stdin") == 0
    assert accounts.get("olga").links == ["rp1", "rp2"]
    from datetime import timedelta

    from fhir_server.auth.storage import utcnow
    accounts.lock("anna", utcnow() + timedelta(minutes=5))
    assert _main("users", "unlock", "anna") == 0 and accounts.get("anna").locked_until is None
    assert _main("users", "revoke", "anna") == 0
    assert _main("users", "list") == 0
    assert "olga\tguardian\tRelatedPerson/rp1,RelatedPerson/rp2" in capsys.readouterr().out
    assert _main("users", "remove", "anna") == 0 and accounts.get("anna") is None


def test_demo_accounts_and_clients(store, tmp_path):
    from fhir_server.auth.demo import PASSWORD, USERS, create_demo_accounts
    from fhir_server.config import Settings

    settings = Settings(auth="on", data_dir=tmp_path)
    create_demo_accounts(settings, store)
    create_demo_accounts(settings, store)  # a second run changes nothing
    auth_store = AuthStore(store.db)
    accounts = Accounts(auth_store)
    assert {u.username for u in accounts.all()} == {u.username for u in USERS}
    assert accounts.check_password("olga", PASSWORD)
    registry = ClientRegistry(auth_store)
    assert {c.client_id for c in registry.all()} == {"demo-public", "demo-confidential", "demo-backend"}
    assert registry.get("demo-confidential").check_client_secret("demo-confidential-secret")
    assert (tmp_path / "demo-backend-key.jwk.json").exists()
    from fhir_server.access.policy import eligible_children
    from fhir_server.auth.eligibility import patient_account_problem
    resources = ResourceStore(store)
    for user in USERS:
        if user.role == "patient":  # anna (adult) and dasha (16), both with an MHI policy
            assert patient_account_problem(resources, user.fhir_user) is None, user.username
    assert eligible_children(ResourceStore(store), ["demo-olga-misha", "demo-olga-dasha"]) == [
        ("demo-olga-misha", "demo-misha")]
