"""Radiology (fluorography, mammography, CT, MRI) and instrumental studies (ECG, endoscopy) of a year.

Fluorography is the yearly chest X-ray every adult is called to; mammography is screening for
women of 40 to 75 every other year; CT and MRI follow from complaints (more CT of the chest in the
COVID-19 years). ECGs are yearly from 40 and for the cardiac diseases. Study Instance UIDs are
``2.25.<UUID>`` (DICOM PS3.5 B.2) of a name-based UUID, so a seed always gives the same UIDs.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from .events import Imaging, Instrumental
from .moscow import doctor
from .people import Person
from .rng import at_time, clamp, day_between

NORMAL = {
    "fluorography": "Очаговых и инфильтративных изменений в лёгких не выявлено. Корни структурны. Синусы "
                    "свободны. Сердце не расширено.",
    "mammography": "Молочные железы с признаками возрастной инволюции. Узловых образований и "
                   "микрокальцинатов не выявлено. BI-RADS 1.",
}
STUDIES = {  # kind: (modality, description, body part, series)
    "fluorography": ("DX", "Флюорография органов грудной клетки", "CHEST", (1,)),
    "mammography": ("MG", "Маммография обеих молочных желёз в двух проекциях", "BREAST", (4,)),
    "ct-chest": ("CT", "КТ органов грудной клетки", "CHEST", (1, 3, 2)),
    "mri-spine": ("MR", "МРТ пояснично-крестцового отдела позвоночника", "LSPINE", (3, 2, 2)),
    "mri-brain": ("MR", "МРТ головного мозга", "BRAIN", (4, 3)),
}
CONCLUSIONS = {
    "ct-chest": ("Патологических изменений органов грудной клетки не выявлено.",
                 "Двусторонние участки уплотнения по типу «матового стекла», объём поражения до 25% (КТ-1).",
                 "Единичный очаг в S6 правого лёгкого до 4 мм, рекомендовано наблюдение."),
    "mri-spine": ("МР-признаки дегенеративно-дистрофических изменений пояснично-крестцового отдела "
                  "позвоночника. Протрузия диска L4-L5 до 3 мм.",
                  "Грыжа диска L5-S1 до 6 мм с компрессией левого корешка S1."),
    "mri-brain": ("Очаговых изменений вещества головного мозга не выявлено.",
                  "Единичные очаги глиоза в белом веществе лобных долей, вероятно сосудистого генеза."),
}


def study_uid(seed: int, person: Person, accession: str) -> str:
    name = f"https://emc.mos.ru/seed/{seed}/{person.key}/{accession}"
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_URL, name).int}"


def studies(r: random.Random, person: Person, seed: int, first: date, last: date, age: int,
            codes: set[str]) -> list[Imaging]:
    kinds = []
    if age >= 18 and r.random() < 0.7:
        kinds.append("fluorography")
    if person.sex == "female" and 40 <= age <= 75 and r.random() < 0.45:
        kinds.append("mammography")
    covid_years = first.year in (2020, 2021)
    if r.random() < (0.12 if covid_years and age >= 18 else 0.03) + (0.05 if "J44.9" in codes else 0.0):
        kinds.append("ct-chest")
    if age >= 25 and r.random() < 0.03 + (0.06 if "M42.1" in codes else 0.0):
        kinds.append("mri-spine")
    if age >= 18 and r.random() < 0.02:
        kinds.append("mri-brain")
    out = []
    for n, kind in enumerate(kinds, start=1):
        modality, description, body_part, series = STUDIES[kind]
        day = day_between(r, first, last)
        accession = f"RIS-{day.year}-{seed % 100:02d}{person.household}{person.member}-{n}"
        conclusion = NORMAL.get(kind) or r.choice(CONCLUSIONS[kind])
        if kind == "fluorography" and r.random() < 0.03:
            conclusion = "Усиление лёгочного рисунка в базальных отделах. Рекомендована КТ органов грудной клетки."
        out.append(Imaging(accession, study_uid(seed, person, accession), modality, description, body_part,
                           at_time(r, day), series, conclusion))
    return out


def instrumental(r: random.Random, person: Person, tag: str, first: date, last: date, age: int,
                 codes: set[str]) -> list[Instrumental]:
    out = []
    cardiac = bool(codes & {"I10", "I25.1", "I48.9"})
    if r.random() < (0.85 if age >= 40 or cardiac else 0.15 if age >= 18 else 0.06):
        day = day_between(r, first, last)
        performed = at_time(r, day)
        clinic = person.clinic(day)
        out.append(Instrumental(f"ECG-{day.year}-{tag}", "ecg", "ЭКГ покоя в 12 отведениях", performed,
                                performed + timedelta(minutes=r.randint(20, 240)), clinic,
                                doctor(r, clinic, "функциональной диагностики"), *_ecg(r, age, codes)))
    if age >= 18 and r.random() < (0.25 if "K29.5" in codes else 0.03 if age >= 45 else 0.0):
        day = day_between(r, first, last)
        performed = at_time(r, day, 8, 12)
        clinic = person.clinic(day)
        erosive = r.random() < 0.3
        findings = ("Пищевод свободно проходим, слизистая розовая. Кардия смыкается.\n"
                    + ("Слизистая антрального отдела гиперемирована, единичные плоские эрозии до 3 мм."
                       if erosive else "Слизистая желудка с очаговой гиперемией в антральном отделе.")
                    + "\nЛуковица двенадцатиперстной кишки без особенностей.")
        conclusion = "Эрозивная антральная гастропатия." if erosive else "Поверхностный антральный гастрит."
        out.append(Instrumental(f"END-{day.year}-{tag}", "endoscopy", "Эзофагогастродуоденоскопия", performed,
                                performed + timedelta(minutes=40), clinic, doctor(r, clinic, "эндоскопист"),
                                None, findings, conclusion))
    return out


def _ecg(r: random.Random, age: int, codes: set[str]) -> tuple[dict[str, float | str], str, str]:
    af = "I48.9" in codes
    rate = int(clamp(r.gauss(100 if age < 10 else 72, 10), 45, 150))
    qt = int(clamp(r.gauss(390 - (rate - 70) * 1.5, 15), 300, 480))
    qtc = int(qt / ((60 / rate) ** 0.5))
    ecg: dict[str, float | str] = {
        "heartRate": rate,
        "rhythm": "Фибрилляция предсердий" if af else "Синусовый ритм, правильный",
        "qrsDuration": int(clamp(r.gauss(92, 8), 70, 130)), "qtInterval": qt, "qtcInterval": qtc,
        "qrsAxis": int(clamp(r.gauss(30 if age < 60 else 0, 25), -60, 110)),
    }
    if not af:
        ecg["prInterval"] = int(clamp(r.gauss(160, 18), 110, 240))
    hypertrophy = "I10" in codes and r.random() < 0.3
    findings = "Признаки гипертрофии миокарда левого желудочка." if hypertrophy else "Патологических изменений нет."
    rhythm = "Фибрилляция предсердий" if af else "Синусовый ритм"
    conclusion = f"{rhythm} с ЧСС {rate} в минуту." + (" Гипертрофия левого желудочка." if hypertrophy else "")
    return ecg, findings, conclusion
