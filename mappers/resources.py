"""Builders of the resources every mapper needs: the patient, the doctor, the organisation.

They are added to a transaction as conditional creates (:mod:`mappers.bundle`): the first source
that names a resident creates a minimal Patient keyed by the MHI policy number, and later
sources resolve to it without touching it. Names follow Russian usage in FHIR HumanName
(http://hl7.org/fhir/R4/datatypes.html#HumanName): ``family`` is the surname and ``given`` holds
the first name then the patronymic, with the full name in ``text``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from . import emc_profiles as profiles
from . import identifiers as ids
from .bundle import TransactionBuilder, identifier

XHTML = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True)
class Person:
    """A person as sources describe one: surname, first name, patronymic."""

    family: str
    given: str | None = None
    patronymic: str | None = None

    def human_name(self) -> dict[str, Any]:
        given = [g for g in (self.given, self.patronymic) if g]
        out: dict[str, Any] = {"use": "official", "text": " ".join([self.family, *given]), "family": self.family}
        if given:
            out["given"] = given
        return out

    @property
    def text(self) -> str:
        return " ".join(p for p in (self.family, self.given, self.patronymic) if p)


def add_patient(tx: TransactionBuilder, mhi: str, name: Person | None = None, *, birth_date: str | None = None,
                gender: str | None = None, snils: str | None = None, passport: str | None = None) -> str:
    """Add the Patient keyed by MHI policy number (already checked); returns its full URL.

    It claims ``emc-patient`` when the source gives what that profile requires (name, sex, birth date).
    """
    patient: dict[str, Any] = {"resourceType": "Patient", "identifier": [identifier(ids.MHI, mhi)]}
    if snils:
        patient["identifier"].append(identifier(ids.SNILS, snils))
    if passport:
        patient["identifier"].append(identifier(ids.PASSPORT, passport))
    if name:
        patient["name"] = [name.human_name()]
    if gender:
        patient["gender"] = gender
    if birth_date:
        patient["birthDate"] = birth_date
    if profiles.patient_complete(patient):  # a source without name, sex or birth date: no claim
        patient = profiles.claim(patient, profiles.PATIENT)
    return tx.share(patient, ids.MHI, mhi)


def add_practitioner(tx: TransactionBuilder, snils: str, name: Person | None = None) -> str:
    """Add the Practitioner keyed by SNILS (already checked); returns its full URL."""
    practitioner: dict[str, Any] = {"resourceType": "Practitioner", "identifier": [identifier(ids.SNILS, snils)]}
    if name:
        practitioner["name"] = [name.human_name()]
    return tx.share(practitioner, ids.SNILS, snils)


def add_organization(tx: TransactionBuilder, system: str, code: str, name: str | None = None) -> str:
    """Add the Organization keyed by its EMC code (clinic or laboratory); returns its full URL."""
    organization: dict[str, Any] = {"resourceType": "Organization", "identifier": [identifier(system, code)],
                                    "active": True}
    if name:
        organization["name"] = name
    return tx.share(organization, system, code)


def narrative(text: str, status: str = "additional") -> dict[str, str]:
    """Plain text as a FHIR Narrative: one ``<p>`` per non-empty line, escaped.

    http://hl7.org/fhir/R4/narrative.html: the div is XHTML in the XHTML namespace; characters XML
    1.0 forbids are dropped. ``additional`` says the text is content of its own (what the doctor
    wrote); ``generated`` that it was made from the structured data beside it.
    """
    paragraphs = [line.strip() for line in _xml_safe(text).splitlines() if line.strip()]
    body = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    return {"status": status, "div": f'<div xmlns="{XHTML}">{body}</div>'}


def _xml_safe(text: str) -> str:
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text)
