"""A person's card from 2017 on: chronic diseases, visits, labs, imaging, ECGs, stays, prescriptions.

Everything about a person comes from ``rng(seed, "person", household, member)``, so a person's
history is the same whatever else is generated. The card's sections start when the EMC began
receiving them (README; docs/seed_data.md): protocols in 2017, labs, radiology and discharge summaries in
2019, other instrumental studies in 2020. Rates grow with age and with each chronic disease, which
is what makes an 80-year-old hypertensive diabetic's card long and a 30-year-old's short.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import diseases, imaging, labs, texts
from .events import Allergy, ChronicCondition, Diagnosis, Instrumental, LabOrder, Prescription, Stay, Vaccination, Visit
from .events import Imaging as ImagingEvent
from .moscow import LABS, doctor
from .people import Person
from .rng import at_time, day_between, rng
from .stays import stay
from .vaccines import vaccinations

CARD_START = date(2017, 1, 1)
LABS_START = date(2019, 1, 1)
INSTRUMENTAL_START = date(2020, 1, 1)


@dataclass
class History:
    person: Person
    chronic: list[ChronicCondition] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    prescriptions: list[Prescription] = field(default_factory=list)
    lab_orders: list[LabOrder] = field(default_factory=list)
    imaging: list[ImagingEvent] = field(default_factory=list)
    instrumental: list[Instrumental] = field(default_factory=list)
    stays: list[Stay] = field(default_factory=list)
    vaccinations: list[Vaccination] = field(default_factory=list)


def poisson(r: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    limit, k, p = math.exp(-mean), 0, r.random()
    while p > limit:
        k += 1
        p *= r.random()
    return k


def history(person: Person, seed: int, until: date) -> History:
    r = rng(seed, "person", person.household, person.member)
    h = History(person)
    tag = f"{seed % 100:02d}{person.household}{person.member}"
    age_now = person.age(until)
    for chronic in diseases.CHRONIC:
        if r.random() < chronic.prevalence(age_now, person.sex):
            onset_age = chronic.onset_age(r, age_now)
            onset = min(person.birth + timedelta(days=int(onset_age * 365.25) + r.randint(0, 364)), until)
            h.chronic.append(ChronicCondition(chronic.icd10, chronic.text, onset))
    h.allergies = [Allergy(a, min(day, until)) for a, day in diseases.allergies(r, person.birth)]
    regimen = {c.icd10: r.sample(diseases.BY_CODE[c.icd10].drugs, min(2, len(diseases.BY_CODE[c.icd10].drugs)))
               for c in h.chronic}
    start = max(CARD_START, person.birth)
    for year in range(start.year, until.year + 1):
        first, last = max(start, date(year, 1, 1)), min(until, date(year, 12, 31))
        if first > last:
            continue
        age = person.age(first)
        active = [c for c in h.chronic if c.onset <= last]
        _visits(r, h, tag, year, first, last, age, active, regimen)
        if last >= LABS_START:
            _labs(r, h, tag, max(first, LABS_START), last, age, active)
            h.imaging += imaging.studies(r, person, seed, max(first, LABS_START), last, age,
                                         {c.icd10 for c in active})
            _stays(r, h, tag, max(first, LABS_START), last, age, active)
        if last >= INSTRUMENTAL_START:
            h.instrumental += imaging.instrumental(r, person, tag, max(first, INSTRUMENTAL_START), last, age,
                                                   {c.icd10 for c in active})
    h.vaccinations = vaccinations(r, person.birth, start, until, person.clinic, f"IM-{tag}")
    return h


def _visits(r: random.Random, h: History, tag: str, year: int, first: date, last: date, age: int,
            active: list[ChronicCondition], regimen: dict[str, list[diseases.Drug]]) -> None:
    person = h.person
    base = 2.5 if age < 3 else 1.2 if age < 18 else 0.9 if age < 40 else 1.3 if age < 60 else 1.8
    mean = (base + sum(diseases.BY_CODE[c.icd10].visits for c in active)) * (last - first).days / 365
    days = sorted(day_between(r, first, last) for _ in range(poisson(r, mean)))
    for n, day in enumerate(days, start=1):
        clinic = person.clinic(day)
        known = [c for c in active if c.onset <= day]
        drugs: list[diseases.Drug] = []
        if known and r.random() < 0.6:
            main = r.choice(known)
            chronic = diseases.BY_CODE[main.icd10]
            dx = [Diagnosis(main.icd10, main.text)]
            doc = doctor(r, clinic, chronic.specialty)
            kind, years = "chronic", day.year - main.onset.year
            drugs = regimen.get(main.icd10, [])
            follow_up = 90
        else:
            reason = diseases.acute_reason(r, age, day)
            dx = [Diagnosis(reason.icd10, reason.text)]
            doc = doctor(r, clinic, "педиатр" if age < 18 else "терапевт")
            kind, years = ("checkup" if reason.icd10.startswith("Z") else "acute"), 0
            drugs = [reason.drug] if reason.drug and r.random() < 0.7 else []
            follow_up = 7 if kind == "acute" else 365
        dx += [Diagnosis(c.icd10, c.text, "secondary") for c in known if c.icd10 != dx[0].icd10][:3]
        v = texts.vitals(r, age, any(c.icd10 in ("I10", "I25.1") for c in known),
                         kind == "acute" and dx[0].icd10[:1] in "JHU")
        visit_id = f"V-{year}-{tag}-{n}"
        start = at_time(r, day)
        h.visits.append(Visit(visit_id, f"P-{year}-{tag}-{n}", start, r.choice((12, 15, 20, 30)), clinic, doc,
                              tuple(dx), texts.complaints(r, dx[0].icd10, v),
                              texts.anamnesis(r, kind, years, doc.specialty, person.sex), texts.examination(v),
                              texts.recommendations(drugs, follow_up)))
        for k, drug in enumerate(drugs, start=1):
            h.prescriptions.append(Prescription(f"RX-{year}-{tag}-{n}-{k}", drug, day, clinic, doc, visit_id,
                                                kind == "chronic"))


def _labs(r: random.Random, h: History, tag: str, first: date, last: date, age: int,
          active: list[ChronicCondition]) -> None:
    codes = {c.icd10 for c in active}
    fraction = (last - first).days / 365
    orders = [labs.CBC[0]] * poisson(r, (0.35 if age < 18 else 0.55 + 0.15 * len(codes)) * fraction)
    if age >= 40 or codes:
        orders += [labs.BIOCHEMISTRY[0]] * poisson(r, (0.5 + 0.1 * len(codes)) * fraction)
    if "E11.9" in codes:
        orders += [labs.HBA1C[0]] * poisson(r, 2.0 * fraction)
    if codes & {"E78.0", "I25.1", "I10"} and age >= 40:
        orders += [labs.LIPIDS[0]] * poisson(r, 0.7 * fraction)
    person = h.person
    for n, code in enumerate(orders, start=1):
        day = day_between(r, first, last)
        collected = at_time(r, day, 7, 11)
        lab = r.choice(LABS).code
        clinic = person.clinic(day)
        h.lab_orders.append(LabOrder(
            f"{day:%y%m%d}-{tag}-{n}", f"{clinic}-Z-{tag}-{day.year}-{n}", lab, clinic,
            doctor(r, clinic, "педиатр" if age < 18 else "терапевт"), (code, labs.NAMES[code]), collected,
            collected + timedelta(hours=r.randint(3, 30)), labs.panel(r, code, person.sex, age, codes)))


STAY_REASONS = (  # main diagnosis, text, days, weight, who
    ("J18.9", "Пневмония неуточнённая", (8, 14), 3.0, "any"),
    ("K80.2", "Камни желчного пузыря без холецистита", (3, 7), 1.5, "adult"),
    ("K35.8", "Острый аппендицит, другой и неуточнённый", (4, 7), 1.0, "any"),
    ("S52.5", "Перелом нижнего конца лучевой кости", (2, 5), 1.0, "any"),
    ("I20.0", "Нестабильная стенокардия", (7, 12), 2.0, "I25.1"),
    ("I11.9", "Гипертензивная болезнь сердца без застойной сердечной недостаточности", (6, 10), 1.5, "I10"),
    ("J44.1", "ХОБЛ с обострением неуточнённая", (8, 14), 2.0, "J44.9"),
    ("E11.6", "Сахарный диабет 2 типа с другими уточнёнными осложнениями", (8, 12), 1.5, "E11.9"),
    ("J45.0", "Астма с преобладанием аллергического компонента, обострение", (5, 9), 1.0, "J45.9"),
)


def _stays(r: random.Random, h: History, tag: str, first: date, last: date, age: int,
           active: list[ChronicCondition]) -> None:
    rate = (0.02 if age < 18 else 0.03 + (0.05 if age >= 70 else 0.0)) + 0.025 * len(active)
    codes = {c.icd10 for c in active}
    reasons = [(x, x[3]) for x in STAY_REASONS if x[4] == "any" or (x[4] == "adult" and age >= 18) or x[4] in codes]
    for _ in range(poisson(r, rate * (last - first).days / 365)):
        h.stays.append(stay(r, h.person, tag, len(h.stays) + 1, day_between(r, first, last), age, reasons, active))
