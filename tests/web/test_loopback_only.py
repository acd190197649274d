"""FHIR_AUTH=off: the app itself answers loopback clients only, under any WSGI server.

The gunicorn configuration hooks refuse to start on a non-loopback listener, but gunicorn run
without ``-c`` (or another WSGI server) skips them; the app must refuse on its own.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from fhir_server.storage.embedded_mongo import free_port
from fhir_server.web.loopback_only import is_loopback

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("::ffff:127.0.0.1", True),
    ("192.0.2.7", False), ("10.0.0.1", False), ("::ffff:192.0.2.7", False), ("2001:db8::1", False),
    ("0.0.0.0", False), ("::", False), ("", False), (None, False), ("unix", False), ("fe80::1%eth0", False),
])
def test_is_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


@pytest.mark.parametrize("address", ["192.0.2.7", "2001:db8::7", "::ffff:192.0.2.7", "10.1.2.3"])
@pytest.mark.parametrize("path", ["/fhir/Patient", "/fhir/metadata", "/fhir/Patient/x", "/nowhere"])
def test_auth_off_refuses_other_addresses_with_an_operation_outcome(app, address: str, path: str) -> None:
    answer = app.test_client().get(path, environ_base={"REMOTE_ADDR": address})
    assert answer.status_code == 403
    assert answer.content_type.startswith("application/fhir+json")
    body = answer.get_json(force=True)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "forbidden" and "FHIR_AUTH=off" in body["issue"][0]["diagnostics"]


def test_auth_off_refuses_before_any_route_runs(app, monkeypatch) -> None:
    from fhir_server.web import http_api

    monkeypatch.setattr(http_api, "request_context", lambda *_: pytest.fail("a route ran"))
    answer = app.test_client().post("/fhir/Patient", json={"resourceType": "Patient"},
                                    environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert answer.status_code == 403


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
def test_auth_off_serves_loopback(app, address: str) -> None:
    assert app.test_client().get("/fhir/Patient", environ_base={"REMOTE_ADDR": address}).status_code == 200


def test_the_default_test_client_is_loopback(client) -> None:
    assert client.get("/Patient").status_code == 200


def test_refusals_are_logged_once(app, caplog) -> None:
    web = app.test_client()
    with caplog.at_level(logging.WARNING, logger="fhir_server.web.loopback_only"):
        for address in ("192.0.2.7", "192.0.2.8", "192.0.2.7"):
            assert web.get("/fhir/Patient", environ_base={"REMOTE_ADDR": address}).status_code == 403
    warnings = [r for r in caplog.records if r.name == "fhir_server.web.loopback_only"]
    assert len(warnings) == 1 and "192.0.2.7" in warnings[0].getMessage()


def test_auth_on_does_not_filter_addresses(store) -> None:
    from fhir_server.app import create_app
    from fhir_server.config import Settings

    application = create_app(Settings(base_url="http://testserver/fhir", auth="on"), store=store)
    answer = application.test_client().get("/fhir/metadata", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert answer.status_code == 200


# -- a real gunicorn without the project's configuration ------------------------------------------

def _own_address() -> str | None:
    """This host's address on its outgoing interface (no packet is sent), if it is not loopback."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("198.51.100.1", 9))
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if is_loopback(address) else address


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while True:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            _status(url)
            return
        except OSError:
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.3)


def test_plain_gunicorn_with_auth_off_answers_loopback_only(mongo_uri, store) -> None:
    """``FHIR_AUTH=off gunicorn --bind 0.0.0.0:PORT wsgi:app``, no ``-c``: the listener check of the
    configuration module never runs, so the app's own check must: loopback is served, this host's
    other address is refused (when it has one)."""
    own = _own_address()
    port = free_port()
    env = {**os.environ, "FHIR_AUTH": "off", "MONGODB_URI": mongo_uri, "FHIR_DB_NAME": store.db.name,
           "FHIR_HOST": "127.0.0.1"}
    bind = "0.0.0.0" if own else "127.0.0.1"
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"{bind}:{port}",
                             "wsgi:app"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        _wait(f"http://127.0.0.1:{port}/fhir/metadata", proc)
        assert _status(f"http://127.0.0.1:{port}/fhir/Patient") == 200
        if own is None:
            pytest.skip("no non-loopback address on this host: only the loopback side was checked")
        assert _status(f"http://{own}:{port}/fhir/Patient") == 403
        assert _status(f"http://{own}:{port}/fhir/metadata") == 403
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
