"""Whether a patient account may exist and sign in: the access policy's rule on its Patient.

The card opens to its own patient from 15 with a Moscow MHI policy (access/policy.py). The rule is
applied when ``users add`` makes an account and again at every sign-in, so an account whose
Patient stopped qualifying (record changed, deactivated, deleted) gets a clear refusal at once
instead of a token that every request then refuses.
"""

from __future__ import annotations

from datetime import datetime

from fhir_server.access import policy as access_policy
from fhir_server.storage.store import ResourceStore


def patient_account_problem(resources: ResourceStore, fhir_user: str | None) -> str | None:
    """Why the Patient ``fhir_user`` (``Patient/<id>``) cannot hold an account today; None if it can."""
    if not fhir_user or not fhir_user.startswith("Patient/") or fhir_user == "Patient/":
        return "a patient account needs its Patient (Patient/<id>)"
    doc = resources.current("Patient", fhir_user.removeprefix("Patient/"))
    patient = doc.get("res") if doc and not doc.get("del") else None
    return access_policy.patient_account_problem(patient, datetime.now(access_policy.MOSCOW).date())
