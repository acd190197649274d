"""Hospital stays: admission, discharge and the sections of the discharge summary (epicrisis)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from .events import ChronicCondition, Diagnosis, Stay
from .moscow import HOSPITALS, doctor
from .people import Person
from .rng import weighted

COURSE = ("Поступил(а) {admitted} по {way} показаниям. На фоне проводимой терапии отмечена положительная "
          "динамика, состояние стабилизировано.\nВыписывается в удовлетворительном состоянии под наблюдение "
          "врача поликлиники по месту жительства.")
STUDIES = ("Общий анализ крови при поступлении: лейкоциты {wbc} ×10^9/л, СОЭ {esr} мм/ч; при выписке в пределах "
           "нормы.\nЭКГ: синусовый ритм. Рентгенография органов грудной клетки выполнена.")
TREATMENT = {
    "J18": "Цефтриаксон 2 г внутривенно 1 раз в сутки, 7 дней.\nАзитромицин 500 мг внутрь 1 раз в сутки, 5 дней.",
    "K80": "Лапароскопическая холецистэктомия. Антибиотикопрофилактика, обезболивание.",
    "K35": "Лапароскопическая аппендэктомия. Антибактериальная терапия.",
    "S52": "Закрытая репозиция, гипсовая иммобилизация.",
    "I20": "Коронарография, стентирование ПНА. Двойная антитромбоцитарная терапия, статины, бета-блокаторы.",
    "I11": "Коррекция антигипертензивной терапии: ингибиторы АПФ, блокаторы кальциевых каналов, диуретики.",
    "J44": "Бронхолитики через небулайзер, системные глюкокортикостероиды коротким курсом, кислородотерапия.",
    "E11": "Коррекция сахароснижающей терапии, инсулинотерапия в стационаре.",
    "J45": "Ингаляционные бронхолитики и глюкокортикостероиды, системные глюкокортикостероиды коротким курсом.",
}
ADVICE = ("Наблюдение участкового врача по месту жительства, явка в течение 3 дней после выписки.\n"
          "Продолжить приём назначенных препаратов. Контроль общего анализа крови через 2 недели.")


def stay(r: random.Random, person: Person, tag: str, n: int, day: date, age: int,
         reasons: list[tuple[Any, float]], active: list[ChronicCondition]) -> Stay:
    code, text, (short, long), _, _ = weighted(r, reasons)
    hospital = HOSPITALS[-1].code if age < 18 else r.choice(HOSPITALS[:-1]).code
    admitted = datetime(day.year, day.month, day.day, r.randint(0, 23), r.randrange(0, 60, 5))
    discharged = datetime.combine(day + timedelta(days=r.randint(short, long)), datetime.min.time()).replace(
        hour=r.randint(10, 15))
    diagnoses = (Diagnosis(code, text),) + tuple(
        Diagnosis(c.icd10, c.text, "secondary") for c in active if c.icd10 != code and c.onset <= day)[:3]
    ward = doctor(r, hospital, "педиатр" if age < 18 else None)
    head = doctor(r, hospital)
    way = "экстренным" if code[0] in "JSIK" and r.random() < 0.7 else "плановым"
    return Stay(f"{day.year}-{tag}-{n}", hospital, ward, head, admitted, discharged,
                diagnoses,
                COURSE.format(admitted=admitted.strftime("%d.%m.%Y"), way=way),
                STUDIES.format(wbc=f"{r.uniform(6, 15):.1f}".replace(".", ","), esr=r.randint(8, 40)),
                TREATMENT.get(code[:3], "Симптоматическая терапия."), ADVICE)
