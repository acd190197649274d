"""Driving the SMART flows against a Flask test client, and a small world of patients to guard."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fhir_server.access.policy import KINSHIP_VERIFIED, MOSCOW
from fhir_server.auth.accounts import User
from fhir_server.auth.clients import Client
from fhir_server.storage.store import ResourceStore

BASE = "http://localhost/fhir"
REDIRECT = "http://localhost:9999/callback"
PASSWORD = "correct horse battery staple"
LAB = "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
VITALS = "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def years_ago(years: int, days: int = 0) -> str:
    today = datetime.now(MOSCOW).date()
    try:
        then = today.replace(year=today.year - years)
    except ValueError:
        then = date(today.year - years, 3, 1)
    return (then - timedelta(days=days)).isoformat()


# -- the world ------------------------------------------------------------------------------------

def patient(pid: str, family: str, birth: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family, "given": ["Test"]}], "birthDate": birth,
            "identifier": [{"system": "https://emc.mos.ru/fhir/sid/mhi", "value": f"77000000000{abs(hash(pid)) % 100000:05d}"}],
            **extra}


def observation(oid: str, pid: str, category: str, value: float, **extra: Any) -> dict[str, Any]:
    system, code = category.split("|")
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "category": [{"coding": [{"system": system, "code": code}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
            "subject": {"reference": f"Patient/{pid}"}, "valueQuantity": {"value": value, "unit": "g/dL"}, **extra}


def related(rid: str, child: str, verified: bool = True, active: bool = True) -> dict[str, Any]:
    return {"resourceType": "RelatedPerson", "id": rid, "active": active, "patient": {"reference": f"Patient/{child}"},
            "extension": [{"url": KINSHIP_VERIFIED, "valueBoolean": verified}],
            "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                          "code": "MTH"}]}],
            "name": [{"family": "Parent"}]}


#: patients: p1, p2 adults; c1 child of 8; c2 teenager of 16; c3 turned 15 yesterday; c4 child with an
#: unverified link. Every patient has a lab and a vital-signs Observation and a Condition.
PATIENTS = ["p1", "p2", "p3", "c1", "c2", "c3", "c4"]


def world_resources() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"resourceType": "Organization", "id": "org1", "name": "Городская поликлиника №1"},
        {"resourceType": "Practitioner", "id": "doc", "name": [{"family": "Doctor"}]},
        {"resourceType": "Practitioner", "id": "medic", "name": [{"family": "Medic"}]},
        {"resourceType": "PractitionerRole", "id": "role1", "active": True,
         "practitioner": {"reference": "Practitioner/doc"}, "organization": {"reference": "Organization/org1"}},
        patient("p1", "Ivanova", "1980-05-01", managingOrganization={"reference": "Organization/org1"}),
        patient("p2", "Petrov", "1975-01-02"),
        patient("p3", "Sidorov", "1990-03-03"),
        patient("c1", "Child", years_ago(8)),
        patient("c2", "Teen", years_ago(16)),
        patient("c3", "Fifteen", years_ago(15, days=1)),
        patient("c4", "Unverified", years_ago(6)),
        related("rp1", "c1"), related("rp2", "c2"), related("rp3", "c3"), related("rp4", "c4", verified=False),
        {"resourceType": "Encounter", "id": "enc-p2", "status": "finished",
         "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
         "subject": {"reference": "Patient/p2"},
         "participant": [{"individual": {"reference": "Practitioner/doc"}}]},
    ]
    for pid in PATIENTS:
        out.append(observation(f"lab-{pid}", pid, LAB, 13.0))
        out.append(observation(f"vit-{pid}", pid, VITALS, 36.6))
        out.append({"resourceType": "Condition", "id": f"cond-{pid}", "subject": {"reference": f"Patient/{pid}"},
                    "code": {"text": "J06.9"}})
    return out


def load(resources: ResourceStore, items: list[dict[str, Any]]) -> None:
    def work(session: Any) -> None:
        for item in items:
            resources.put(item, session)

    resources.transaction(work)


USERS = [
    User("anna", "patient", "+79990000001", "Анна", fhir_user="Patient/p1"),
    User("boris", "patient", "+79990000002", "Борис", fhir_user="Patient/p2"),
    User("olga", "guardian", "+79990000003", "Ольга", links=["rp1", "rp2", "rp4"]),
    User("ivan", "guardian", "+79990000004", "Иван", links=["rp3"]),
    User("doc", "clinician", "+79990000005", "Доктор", fhir_user="Practitioner/doc"),
    User("medic", "ambulance", "+79990000006", "Фельдшер", fhir_user="Practitioner/medic"),
]
ALL_SCOPES = ("launch launch/patient launch/encounter openid fhirUser profile offline_access online_access "
              "patient/*.cruds user/*.cruds")
CLIENTS = [
    Client("public-app", "Public test app", "none", [REDIRECT], ALL_SCOPES),
    Client("secret-app", "Confidential test app", "client_secret_basic", [REDIRECT], ALL_SCOPES,
           launch_uri="http://localhost:9999/launch"),
    Client("narrow-app", "Lab-only app", "none", [REDIRECT],
           f"launch/patient openid fhirUser offline_access patient/Observation.rs?category={LAB}"),
]
SECRET = "s3cret-for-tests"


# -- the flows ------------------------------------------------------------------------------------

@dataclass
class Smart:
    app: Any
    outbox: Path
    web: Any = field(init=False)

    def __post_init__(self) -> None:
        self.web = self.app.test_client()

    @property
    def service(self) -> Any:
        return self.app.extensions["fhir_auth"]

    def fresh_browser(self) -> None:
        self.web = self.app.test_client()

    def authorize_params(self, client_id: str = "public-app", scope: str = "launch/patient patient/*.rs openid "
                         "fhirUser", challenge: str | None = None, **extra: Any) -> dict[str, str]:
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": scope,
                  "state": "state-123", "aud": BASE, "code_challenge": challenge or pkce_pair()[1],
                  "code_challenge_method": "S256"}
        params.update({k: v for k, v in extra.items() if v is not None})
        for key in [k for k, v in extra.items() if v is None]:
            params.pop(key, None)
        return params

    def authorize(self, params: dict[str, str], method: str = "GET") -> Any:
        if method == "POST":
            return self.web.post("/auth/authorize", data=params)
        return self.web.get("/auth/authorize?" + urlencode(params))

    def csrf(self, response: Any) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', response.get_data(as_text=True))
        assert match, response.get_data(as_text=True)
        return match.group(1)

    def last_sms(self, phone: str | None = None) -> dict[str, str]:
        lines = [json.loads(line) for line in self.outbox.read_text(encoding="utf-8").splitlines()]
        if phone:
            lines = [m for m in lines if m["to"] == phone]
        return lines[-1]

    def last_code(self, phone: str | None = None) -> str:
        found = re.search(r"\b(\d{6})\b", self.last_sms(phone)["text"])
        assert found
        return found.group(1)

    def password(self, username: str, password: str = PASSWORD) -> Any:
        page = self.web.get("/auth/login")
        return self.web.post("/auth/login", data={"csrf": self.csrf(page), "username": username,
                                                  "password": password})

    def code(self, code: str, action: str = "verify") -> Any:
        page = self.web.get("/auth/otp")
        return self.web.post("/auth/otp", data={"csrf": self.csrf(page), "code": code, "action": action})

    def consent(self, decision: str = "allow", types: list[str] | None = None, **form: Any) -> Any:
        page = self.web.get("/auth/consent")
        data: dict[str, Any] = {"csrf": self.csrf(page), "decision": decision, **form}
        body = page.get_data(as_text=True)
        data["type"] = types if types is not None else re.findall(r'name="type" value="([^"]+)"', body)
        return self.web.post("/auth/consent", data=data)

    def code_flow(self, username: str, *, client_id: str = "public-app", scope: str = "launch/patient patient/*.rs "
                  "openid fhirUser", consent: dict[str, Any] | None = None, **extra: Any) -> tuple[dict[str, str], str]:
        """Log in and consent; returns (the redirect's query parameters, the PKCE verifier)."""
        self.fresh_browser()
        verifier, challenge = pkce_pair()
        started = self.authorize(self.authorize_params(client_id, scope, challenge, **extra))
        assert started.status_code == 302, started.get_data(as_text=True)
        assert self.password(username).status_code == 303
        user = self.service.accounts.get(username)
        assert self.code(self.last_code(user.phone)).status_code == 303
        done = self.consent(**(consent or {}))
        assert done.status_code == 302, done.get_data(as_text=True)
        return redirect_params(done), verifier

    def exchange(self, code: str, verifier: str | None, client_id: str = "public-app", redirect_uri: str = REDIRECT,
                 basic: tuple[str, str] | None = None, **extra: Any) -> Any:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if verifier is not None:
            data["code_verifier"] = verifier
        if basic is None:
            data["client_id"] = client_id
        data.update(extra)
        headers = {}
        if basic:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        return self.web.post("/auth/token", data=data, headers=headers)

    def token(self, username: str, **kw: Any) -> dict[str, Any]:
        client_id = kw.get("client_id", "public-app")
        basic = (client_id, SECRET) if client_id == "secret-app" else None
        params, verifier = self.code_flow(username, **kw)
        response = self.exchange(params["code"], verifier, client_id=client_id, basic=basic)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()  # type: ignore[no-any-return]

    def fhir(self, method: str, path: str, token: str | None, body: Any = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = "application/fhir+json"
            kw["data"] = json.dumps(body)
        return self.web.open(f"/fhir/{path.lstrip('/')}", method=method, headers=headers, **kw)


def redirect_params(response: Any) -> dict[str, str]:
    location = response.headers["Location"]
    assert location.startswith(REDIRECT), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def ids(bundle: dict[str, Any]) -> set[str]:
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", []) if "resource" in e}


def same_answer(a: Any, b: Any, hidden: str, absent: str) -> None:
    """Two responses alike once the ids that differ (``hidden`` in ``a``, ``absent`` in ``b``) are masked:
    what is out of reach must look absent."""
    assert a.status_code == b.status_code, (a.status_code, b.status_code, a.get_data(as_text=True))
    assert a.get_data(as_text=True).replace(hidden, "X") == b.get_data(as_text=True).replace(absent, "X")
