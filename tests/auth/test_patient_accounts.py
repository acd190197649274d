"""Who may hold a patient account: ``users add --role patient`` refuses a Patient that cannot
(under 15, no MHI policy, inactive, absent), and signing in refuses an account whose Patient
stopped qualifying, with a clear message."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from fhir_server.auth.accounts import Accounts
from fhir_server.auth.storage import AuthStore
from fhir_server.storage.mongo import Store
from fhir_server.storage.store import ResourceStore
from tests.auth.helpers import load, patient, years_ago


@pytest.fixture()
def cli_env(store: Store, mongo_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AuthStore:
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("FHIR_DB_NAME", store.db.name)
    monkeypatch.setenv("FHIR_DATA_DIR", str(tmp_path))
    load(ResourceStore(store), [
        patient("adult", "Adult", "1980-05-01"),
        patient("turns15", "Fifteen", years_ago(15)),
        patient("child", "Child", years_ago(15, days=-1)),  # 15 tomorrow
        patient("no-mhi", "Uninsured", "1980-05-01", identifier=[]),
        patient("inactive", "Gone", "1980-05-01", active=False),
    ])
    return AuthStore(store.db)


def _add(monkeypatch: pytest.MonkeyPatch, username: str, fhir_user: str | None) -> int:
    from fhir_server.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("long enough password\n"))
    argv = ["users", "add", username, "--role", "patient", "--phone", "+79990000009", "--password-stdin"]
    return main(argv + (["--fhir-user", fhir_user] if fhir_user else []))


@pytest.mark.parametrize(("fhir_user", "reason"), [
    ("Patient/child", "under 15"),
    ("Patient/no-mhi", "MHI"),
    ("Patient/inactive", "inactive"),
    ("Patient/absent", "no such Patient"),
    (None, "Patient/<id>"),
    ("Practitioner/doc", "Patient/<id>"),
])
def test_users_add_refuses_a_patient_who_cannot_hold_an_account(cli_env, capsys, monkeypatch, fhir_user, reason):
    assert _add(monkeypatch, "someone", fhir_user) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no patient account for ") and reason in err, err
    assert Accounts(cli_env).get("someone") is None


@pytest.mark.parametrize("fhir_user", ["Patient/adult", "Patient/turns15"])
def test_users_add_accepts_a_patient_of_15_or_more_with_a_policy(cli_env, monkeypatch, fhir_user):
    assert _add(monkeypatch, "someone", fhir_user) == 0
    assert Accounts(cli_env).get("someone").fhir_user == fhir_user


def test_sign_in_refuses_an_account_whose_patient_stopped_qualifying(smart):
    resources = smart.service.resources
    p1 = dict(resources.current("Patient", "p1")["res"])
    load(resources, [{**p1, "identifier": []}])
    smart.fresh_browser()
    assert smart.authorize(smart.authorize_params()).status_code == 302
    sent = smart.outbox.read_text(encoding="utf-8") if smart.outbox.exists() else ""
    refused = smart.password("anna")
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "no longer be used" in text and "MHI" in text
    assert (smart.outbox.read_text(encoding="utf-8") if smart.outbox.exists() else "") == sent  # no code sent
    assert smart.web.get("/auth/login").status_code == 400  # the login ended
