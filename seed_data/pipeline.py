"""From a household to transaction Bundles: sources through the mappers, the rest as FHIR directly.

For each person the history's events are written in their source format (:mod:`seed_data.sources`)
and given to the mapper of that format, exactly as an import of real exports would be; what no
mapper covers (the full Patient, guardians, problem list, allergies, prescriptions, vaccinations)
comes from :mod:`seed_data.fhir_direct`. The household's direct Bundle comes first, so once the
loader merges a household into one transaction the full Patient wins over the minimal one each
mapped source carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from mappers import map_dicom_study, map_discharge_summary, map_exam_protocol, map_instrumental_study, map_oru_message
from mappers.bundle import TransactionBuilder

from . import fhir_direct as direct
from .history import History, history
from .moscow import ORGANIZATIONS, staff
from .people import UNTIL, Household, Person, population
from .rng import rng
from .sources import cda, dicom, exam, hl7, instrumental

Bundle = dict[str, Any]
GUARDIAN_UNTIL_AGE = 18  # links exist while the parent is the legal representative; access ends at 15


@dataclass(frozen=True)
class Source:
    """One source document: its format (a :data:`mappers.FORMATS` name), a file name and the payload."""

    format: str
    name: str
    payload: Any  # dict (JSON exports), str (HL7 v2), bytes (CDA), (datasets, conclusion) for DICOM


MAPPERS: dict[str, Callable[[Any], Bundle]] = {
    "exam-protocol": map_exam_protocol,
    "hl7v2-oru": map_oru_message,
    "cda-discharge": map_discharge_summary,
    "dicom-study": lambda payload: map_dicom_study(*payload),
    "instrumental": map_instrumental_study,
}


def sources(person: Person, h: History) -> Iterator[Source]:
    """Every source document of a person's history, in the format its system exports."""
    for v in h.visits:
        yield Source("exam-protocol", f"{v.clinic}-{v.protocol_id}.json", exam.protocol(person, v))
    for order in h.lab_orders:
        yield Source("hl7v2-oru", f"{order.lab}-{order.filler}.hl7", hl7.message(person, order))
    for study in h.imaging:
        yield Source("dicom-study", f"{study.accession}", (dicom.datasets(person, study), study.conclusion))
    for event in h.instrumental:
        yield Source("instrumental", f"{event.clinic}-{event.study_id}.json", instrumental.study(person, event))
    for stay in h.stays:
        yield Source("cda-discharge", f"{stay.hospital}-{stay.number}.xml", cda.document(person, stay))


def direct_bundle(home: Household, histories: list[History], until: date, seed: int) -> Bundle:
    """The household's resources that no mapper makes, as one transaction Bundle."""
    tx = TransactionBuilder()
    for person in home.members:
        clinic = person.clinic(until)
        direct.organization(tx, ORGANIZATIONS[clinic])
        direct.practitioner(tx, staff(clinic)[0])
        direct.patient(tx, person, until)
    for person in home.members:
        if person.age(until) < GUARDIAN_UNTIL_AGE:
            r = rng(seed, "guardian", person.household, person.member)
            for parent in person.parents:
                direct.guardian(tx, person, home.members[parent], verified=r.random() < 0.95)
    for h in histories:
        person = h.person
        for condition in h.chronic:
            direct.problem(tx, person, condition)
        for n, item in enumerate(h.allergies, start=1):
            direct.allergy(tx, person, n, item)
        for rx in h.prescriptions:
            direct.prescription(tx, person, rx, until)
        for v in h.vaccinations:
            direct.organization(tx, ORGANIZATIONS[v.clinic])
            direct.immunization(tx, person, v)
    return tx.bundle()


def household_bundles(home: Household, seed: int, until: date = UNTIL) -> list[Bundle]:
    """The household's direct Bundle, then one mapped Bundle per source document."""
    histories = [history(person, seed, until) for person in home.members]
    bundles = [direct_bundle(home, histories, until, seed)]
    for h in histories:
        for source in sources(h.person, h):
            bundles.append(MAPPERS[source.format](source.payload))
    return bundles


def reference_bundle() -> Bundle:
    """Every organisation and its staff, to load before any household."""
    tx = TransactionBuilder()
    direct.reference_data(tx)
    return tx.bundle()


def generate(patients: int, seed: int, until: date = UNTIL) -> Iterator[tuple[Household, list[Bundle]]]:
    """The population's households with their Bundles, one household at a time (bounded memory)."""
    for home in population(patients, seed, until):
        yield home, household_bundles(home, seed, until)
