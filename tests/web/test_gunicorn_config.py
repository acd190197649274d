"""The gunicorn configuration module: settings from the environment, the master's warm-up, and
the refusal of FHIR_AUTH=off on any listener beyond loopback."""

from __future__ import annotations

import gc
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fhir_server.storage.embedded_mongo import free_port
from fhir_server.web import gunicorn_config


def test_settings_follow_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FHIR_WORKERS", "3")
    monkeypatch.setenv("FHIR_THREADS", "6")
    module = importlib.reload(gunicorn_config)
    try:
        assert (module.worker_class, module.workers, module.threads) == (
            "fhir_server.web.gunicorn_worker.FhirThreadWorker", 3, 6)
    finally:
        monkeypatch.undo()
        importlib.reload(gunicorn_config)


def test_warm_up_builds_the_request_path_before_any_request() -> None:
    """In a fresh interpreter, as in a gunicorn master: after warm_up, validators and extraction
    plans of every type exist, the interaction modules are imported and the heap is frozen."""
    script = """
import gc, sys
from fhir_server.web.gunicorn_config import warm_up
from fhir_server.spec.resource_types import RESOURCE_TYPES
warm_up()
from fhir_server.search.extract import _plan
from fhir_server.validation import compiler
assert "fhir_server.routes" in sys.modules and "fhir_server.interactions.read" in sys.modules
assert _plan.cache_info().currsize >= len(RESOURCE_TYPES), _plan.cache_info()
from fhir_server.validation.tables import schema_types
assert set(compiler._VALIDATORS) == set(RESOURCE_TYPES) - set(schema_types()), sorted(compiler._VALIDATORS)
assert gc.get_freeze_count() > 100_000, gc.get_freeze_count()
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    assert gc.isenabled()


# -- FHIR_AUTH=off only on loopback, checked where gunicorn binds its sockets ---------------------

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = [sys.executable, "-m", "gunicorn", "-c", "python:fhir_server.web.gunicorn_config"]


def _production_env(mongo_uri: str, database: str, auth: str) -> dict[str, str]:
    return {**os.environ, "FHIR_AUTH": auth, "MONGODB_URI": mongo_uri, "FHIR_DB_NAME": database,
            "FHIR_WORKERS": "1", "FHIR_THREADS": "1", "FHIR_HOST": "127.0.0.1"}


def _refused(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(PRODUCTION + args + ["wsgi:app"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"gunicorn kept serving with FHIR_AUTH=off: {err[-2000:]}") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("binds", [["0.0.0.0:{p}"], ["127.0.0.1:{p}", "0.0.0.0:{q}"], ["unix:{sock}"]])
def test_production_command_refuses_auth_off_beyond_loopback(mongo_uri, store, tmp_path, binds):
    values = {"p": free_port(), "q": free_port(), "sock": tmp_path / "fhir.sock"}
    args = [arg for bind in binds for arg in ("--bind", bind.format(**values))]
    result = _refused(args, _production_env(mongo_uri, store.db.name, "off"))
    assert result.returncode == gunicorn_config.EXIT_CONFIGURATION, result.stderr[-2000:]
    assert "FHIR_AUTH=off is only allowed when every listener is on loopback" in result.stderr
    assert "Booting worker" not in result.stderr  # halted before any worker could serve


@contextmanager
def production_server(mongo_uri: str, database: str) -> Iterator[int]:
    """A real gunicorn started with the production configuration module, auth off on loopback,
    once it answers ``/metadata`` with 200; its port."""
    port = free_port()
    proc = subprocess.Popen(PRODUCTION + ["--bind", f"127.0.0.1:{port}", "wsgi:app"], cwd=REPO,
                            env=_production_env(mongo_uri, database, "off"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/fhir/metadata", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.3)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def test_production_command_serves_auth_off_on_loopback(mongo_uri, store):
    with production_server(mongo_uri, store.db.name) as port:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/fhir/metadata", timeout=10) as response:
            assert response.status == 200


class _Listener:
    def __init__(self, host: str) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))

    def __str__(self) -> str:
        return f"http://{self.sock.getsockname()[0]}"


class _Master:
    def __init__(self, *hosts: str) -> None:
        self.LISTENERS = [_Listener(host) for host in hosts]
        self.halted: dict[str, object] | None = None

    def halt(self, reason: str | None = None, exit_status: int = 0) -> None:
        self.halted = {"reason": reason, "exit_status": exit_status}

    def close(self) -> None:
        for listener in self.LISTENERS:
            listener.sock.close()


@pytest.mark.parametrize(("hosts", "auth_enabled", "halted"), [
    (["127.0.0.1"], False, False),
    (["127.0.0.2"], False, False),
    (["0.0.0.0"], False, True),
    (["127.0.0.1", "0.0.0.0"], False, True),
    (["0.0.0.0"], True, False),
])
def test_listener_check(hosts, auth_enabled, halted):
    master = _Master(*hosts)
    try:
        gunicorn_config.refuse_open_listeners(master, auth_enabled)
    finally:
        master.close()
    assert (master.halted is not None) == halted
    if halted:
        assert master.halted["exit_status"] == 2 and "FHIR_AUTH=off" in str(master.halted["reason"])


def test_serve_installs_the_listener_check(monkeypatch):
    from fhir_server.config import Settings
    from fhir_server.web import server

    seen: dict[str, object] = {}
    monkeypatch.setattr(server.FhirGunicorn, "run", lambda self: seen.update(self.options))
    server.run_gunicorn(Settings(auth="off"), workers=1)
    master = _Master("0.0.0.0")
    try:
        seen["when_ready"](master)  # type: ignore[operator]
    finally:
        master.close()
    assert master.halted is not None
