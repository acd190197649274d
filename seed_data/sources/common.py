"""What several source formats write the same way: the patient, the doctor, Moscow times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..moscow import ORGANIZATIONS, Doctor
from ..people import Person


def iso(moment: datetime) -> str:
    """ISO 8601 with the Moscow offset (the exports write local time with its zone)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S+03:00")


def patient(person: Person) -> dict[str, Any]:
    return {"mhi": person.mhi, "snils": person.snils, "family": person.family, "given": person.given,
            "patronymic": person.patronymic, "birthDate": person.birth.isoformat(), "gender": person.sex}


def doctor(doc: Doctor) -> dict[str, Any]:
    return {"snils": doc.snils, "family": doc.family, "given": doc.given, "patronymic": doc.patronymic}


def clinic(code: str) -> dict[str, str]:
    return {"code": code, "name": ORGANIZATIONS[code].name}
