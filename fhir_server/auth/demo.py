"""Demo accounts and clients for ``make run`` (documented in docs/auth.md and the README).

Created once per database, next to the demo population: a family (a mother, her son of 7 and her
daughter of 16), a clinic with a doctor, an ambulance paramedic, their FHIR resources, their
accounts, and three registered apps (public, confidential, backend). Nothing is overwritten on a
second run, so passwords changed with ``users password`` stay changed.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any

from joserfc.jwk import RSAKey

from fhir_server.access.policy import KINSHIP_VERIFIED, MOSCOW
from fhir_server.auth.accounts import Accounts, User
from fhir_server.auth.clients import USER_GRANTS, Client, ClientRegistry
from fhir_server.auth.storage import AuthStore
from fhir_server.config import Settings
from fhir_server.storage.mongo import Store
from fhir_server.storage.store import ResourceStore

log = logging.getLogger(__name__)
PASSWORD = "Demo-2026!"
CONFIDENTIAL_SECRET = "demo-confidential-secret"
REDIRECTS = ["http://localhost:8000/callback", "http://127.0.0.1:8000/callback"]
APP_SCOPES = ("launch launch/patient launch/encounter openid fhirUser profile offline_access online_access "
              "patient/*.cruds patient/*.read patient/*.write patient/*.* user/*.cruds user/*.read user/*.*")
BACKEND_KEY_FILE = "demo-backend-key.jwk.json"
LAB = ("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")
MHI = "https://emc.mos.ru/fhir/sid/mhi"


def _born(years: int) -> str:
    today = datetime.now(MOSCOW).date()
    try:
        return today.replace(year=today.year - years).isoformat()
    except ValueError:
        return date(today.year - years, 3, 1).isoformat()


def _patient(pid: str, family: str, given: str, born: str, mhi: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "active": True,
            "identifier": [{"system": MHI, "value": mhi}],
            "name": [{"family": family, "given": [given]}], "birthDate": born, **extra}


def demo_resources() -> list[dict[str, Any]]:
    clinic = {"reference": "Organization/demo-clinic"}
    out: list[dict[str, Any]] = [
        {"resourceType": "Organization", "id": "demo-clinic", "name": "ГБУЗ «Городская поликлиника № 1» (демо)"},
        {"resourceType": "Practitioner", "id": "demo-doctor", "name": [{"family": "Смирнов", "given": ["Павел"]}]},
        {"resourceType": "PractitionerRole", "id": "demo-doctor-role", "active": True,
         "practitioner": {"reference": "Practitioner/demo-doctor"}, "organization": clinic},
        {"resourceType": "Practitioner", "id": "demo-medic", "name": [{"family": "Кузнецова", "given": ["Ирина"]}]},
        _patient("demo-anna", "Иванова", "Анна", "1985-04-12", "7700000000000101", managingOrganization=clinic),
        _patient("demo-misha", "Иванов", "Михаил", _born(7), "7700000000000102", managingOrganization=clinic),
        _patient("demo-dasha", "Иванова", "Дарья", _born(16), "7700000000000103", managingOrganization=clinic),
    ]
    for child in ("misha", "dasha"):
        out.append({"resourceType": "RelatedPerson", "id": f"demo-olga-{child}", "active": True,
                    "extension": [{"url": KINSHIP_VERIFIED, "valueBoolean": True}],
                    "patient": {"reference": f"Patient/demo-{child}"},
                    "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                                  "code": "MTH", "display": "mother"}]}],
                    "name": [{"family": "Иванова", "given": ["Ольга"]}], "telecom": [{"system": "phone",
                                                                                        "value": "+79990000003"}]})
    for pid, value in (("demo-anna", 13.5), ("demo-misha", 12.1), ("demo-dasha", 12.8)):
        out.append({"resourceType": "Observation", "id": f"{pid}-hb", "status": "final",
                    "category": [{"coding": [{"system": LAB[0], "code": LAB[1]}]}],
                    "code": {"coding": [{"system": "http://loinc.org", "code": "718-7",
                                         "display": "Hemoglobin [Mass/volume] in Blood"}]},
                    "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": "2025-10-01",
                    "valueQuantity": {"value": value, "unit": "g/dL", "system": "http://unitsofmeasure.org",
                                      "code": "g/dL"}})
    out.append({"resourceType": "AllergyIntolerance", "id": "demo-anna-penicillin",
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance"
                                                         "-clinical", "code": "active"}]},
                "code": {"text": "Пенициллин · Penicillin"}, "patient": {"reference": "Patient/demo-anna"}})
    out.append({"resourceType": "Condition", "id": "demo-anna-asthma",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                          "code": "problem-list-item"}]}],
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J45.9"}],
                         "text": "Бронхиальная астма · Asthma"}, "subject": {"reference": "Patient/demo-anna"}})
    return out


USERS = [
    User("anna", "patient", "+79990000001", "Анна Иванова", fhir_user="Patient/demo-anna"),
    User("dasha", "patient", "+79990000002", "Дарья Иванова (16)", fhir_user="Patient/demo-dasha"),
    User("olga", "guardian", "+79990000003", "Ольга Иванова", links=["demo-olga-misha", "demo-olga-dasha"]),
    User("doctor", "clinician", "+79990000004", "Павел Смирнов", fhir_user="Practitioner/demo-doctor"),
    User("medic", "ambulance", "+79990000005", "Ирина Кузнецова", fhir_user="Practitioner/demo-medic"),
]


def backend_key(settings: Settings) -> RSAKey:
    """The demo backend's private key, kept in the data folder so that users can sign assertions."""
    path = settings.data_dir / BACKEND_KEY_FILE
    if path.exists():
        return RSAKey.import_key(json.loads(path.read_text(encoding="utf-8")))
    key = RSAKey.generate_key(2048, parameters={"alg": "RS384", "use": "sig"}, private=True, auto_kid=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(key.as_dict(private=True)), encoding="utf-8")
    path.chmod(0o600)
    return key


def demo_clients(settings: Settings) -> list[tuple[Client, str | None]]:
    public_jwk = backend_key(settings).as_dict(private=False)
    return [
        (Client("demo-public", "Демо: приложение пациента (public)", "none", REDIRECTS, APP_SCOPES), None),
        (Client("demo-confidential", "Демо: приложение клиники (confidential)", "client_secret_basic", REDIRECTS,
                APP_SCOPES, list(USER_GRANTS), launch_uri="http://localhost:8000/launch", introspect_any=True),
         CONFIDENTIAL_SECRET),
        (Client("demo-backend", "Демо: внешняя система (backend)", "private_key_jwt", [], "system/*.rs system/*.read",
                ["client_credentials"], jwks={"keys": [public_jwk]}), None),
    ]


def create_demo_accounts(settings: Settings, store: Store) -> None:
    resources = ResourceStore(store)
    if resources.current("Patient", "demo-anna") is None:
        items = demo_resources()
        resources.transaction(lambda session: [resources.put(item, session) for item in items])
    auth_store = AuthStore(store.db)
    auth_store.ensure_indexes()
    accounts, registry = Accounts(auth_store), ClientRegistry(auth_store)
    for user in USERS:
        if accounts.get(user.username) is None:
            accounts.create(user, PASSWORD)
    for client, secret in demo_clients(settings):
        if registry.get(client.client_id) is None:
            registry.register(client, secret)
    log.info("demo accounts: %s (password %s); clients: demo-public, demo-confidential, demo-backend "
             "(docs/auth.md); one-time codes are written to %s", ", ".join(u.username for u in USERS), PASSWORD,
             settings.sms_outbox or settings.data_dir / "sms-outbox.jsonl")
