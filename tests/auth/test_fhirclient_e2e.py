"""End to end: the real Python ``fhirclient`` 4.4 through a standalone launch against a live server.

The app is served by werkzeug on a free port in a thread; a ``requests`` session plays the
browser (login, SMS code from the outbox, consent), and fhirclient does the rest: discovery from
the CapabilityStatement, PKCE, the code exchange, reads, searches and a refresh.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from fhir_server.auth.clients import Client
from fhir_server.storage.mongo import Store
from tests.auth.helpers import PASSWORD, USERS, load, world_resources

REDIRECT = "http://127.0.0.1:9/callback"  # never fetched: the test reads the Location header


@pytest.fixture()
def live_server(store: Store, key_dir: Path, tmp_path: Path) -> Iterator[tuple[str, Path, object]]:
    from fhir_server.app import create_app
    from fhir_server.config import Settings

    server = make_server("127.0.0.1", 0, None, threaded=True)  # type: ignore[arg-type]
    port = server.server_port
    base = f"http://127.0.0.1:{port}/fhir"
    outbox = tmp_path / "sms.jsonl"
    app = create_app(Settings(base_url=base, port=port, auth="on", data_dir=key_dir, sms_outbox=outbox), store=store)
    server.app = app  # type: ignore[attr-defined]
    service = app.extensions["fhir_auth"]
    load(service.resources, world_resources())
    service.accounts.create(USERS[0], PASSWORD)  # anna, Patient/p1
    service.clients.register(Client("e2e-app", "fhirclient e2e", "none", [REDIRECT],
                                    "launch/patient openid fhirUser offline_access patient/*.rs"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, outbox, service
    finally:
        server.shutdown()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_fhirclient_standalone_launch(live_server):
    from fhirclient import client
    from fhirclient.models.observation import Observation

    base, outbox, _ = live_server
    smart = client.FHIRClient(settings={
        "app_id": "e2e-app", "api_base": base, "redirect_uri": REDIRECT,
        "scope": "patient/*.rs openid fhirUser offline_access",
    })
    assert not smart.ready
    authorize_url = smart.authorize_url
    assert authorize_url.startswith(base.removesuffix("/fhir") + "/auth/authorize?")
    assert "code_challenge_method=S256" in authorize_url

    browser = requests.Session()
    page = browser.get(authorize_url)  # follows to the login form
    assert page.status_code == 200 and "/auth/login" in page.url
    otp = browser.post(page.url, data={"csrf": _csrf(page.text), "username": "anna", "password": PASSWORD})
    assert otp.status_code == 200 and "/auth/otp" in otp.url
    message = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])
    code = re.search(r"\b(\d{6})\b", message["text"]).group(1)  # type: ignore[union-attr]
    consent = browser.post(otp.url, data={"csrf": _csrf(otp.text), "code": code, "action": "verify"})
    assert consent.status_code == 200 and "/auth/consent" in consent.url
    types = re.findall(r'name="type" value="([^"]+)"', consent.text)
    done = browser.post(consent.url, data={"csrf": _csrf(consent.text), "decision": "allow", "type": types},
                        allow_redirects=False)
    assert done.status_code == 302 and done.headers["Location"].startswith(REDIRECT)

    smart.handle_callback(done.headers["Location"])
    assert smart.ready and smart.patient_id == "p1"
    patient = smart.patient
    assert patient is not None and patient.name[0].family == "Ivanova"

    observations = list(Observation.where(struct={"patient": "p1"}).perform_resources_iter(smart.server))
    assert {o.id for o in observations} == {"lab-p1", "vit-p1"}
    everyone = list(Observation.where(struct={}).perform_resources_iter(smart.server))
    assert {o.id for o in everyone} == {"lab-p1", "vit-p1"}  # the token's reach, not the database

    old_token = smart.server.auth.access_token
    assert smart.reauthorize()
    assert smart.server.auth.access_token != old_token
    assert Observation.read("lab-p1", smart.server).id == "lab-p1"
