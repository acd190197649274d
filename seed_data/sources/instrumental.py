"""ECG and endoscopy studies as our JSON export (``mappers/schemas/instrumental.schema.json``)."""

from __future__ import annotations

from typing import Any

from ..events import Instrumental
from ..people import Person
from .common import clinic, doctor, iso, patient


def study(person: Person, event: Instrumental) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": "emc.instrumental-study/1.0",
        "studyId": event.study_id,
        "kind": event.kind,
        "method": event.method,
        "performed": iso(event.performed),
        "issued": iso(event.issued),
        "clinic": clinic(event.clinic),
        "doctor": doctor(event.doctor),
        "patient": patient(person),
    }
    if event.ecg:
        out["ecg"] = dict(event.ecg)
    if event.findings:
        out["findings"] = event.findings
    out["conclusion"] = event.conclusion
    return out
