"""Clinic examination protocols as our JSON export (``mappers/schemas/exam_protocol.schema.json``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..events import Visit
from ..people import Person
from .common import clinic, doctor, iso, patient


def protocol(person: Person, visit: Visit) -> dict[str, Any]:
    end = visit.start + timedelta(minutes=visit.minutes)
    return {
        "format": "emc.exam-protocol/1.0",
        "protocolId": visit.protocol_id,
        "signed": iso(end + timedelta(minutes=3)),
        "visit": {"id": visit.visit_id, "start": iso(visit.start), "end": iso(end)},
        "clinic": clinic(visit.clinic),
        "doctor": doctor(visit.doctor),
        "patient": patient(person),
        "complaints": visit.complaints,
        "anamnesis": visit.anamnesis,
        "examination": visit.examination,
        "diagnoses": [{"kind": d.kind, "icd10": d.icd10, "text": d.text} for d in visit.diagnoses],
        "recommendations": visit.recommendations,
    }
