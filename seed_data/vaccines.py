"""The national vaccination calendar of Russia (Приказ Минздрава № 1122н) for children, plus adult vaccines.

Ages are in days after birth. Only doses given from 2017 on (the card's horizon) and up to the end
of the history are emitted; the flu and, from 2021, COVID-19 vaccines are offered to everyone. CVX
codes (http://hl7.org/fhir/sid/cvx) are given where a CVX concept fits the vaccine type.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .events import Vaccination

# (vaccine text, CVX, series name, [(dose, age in days)])
CALENDAR: tuple[tuple[str, str | None, str, tuple[tuple[int, int], ...]], ...] = (
    ("Вакцина против вирусного гепатита B", "08", "Гепатит B", ((1, 0), (2, 30), (3, 182))),
    ("Вакцина БЦЖ-М (туберкулёз)", "19", "Туберкулёз", ((1, 4),)),
    ("Вакцина против пневмококковой инфекции", "133", "Пневмококковая инфекция", ((1, 61), (2, 137), (3, 456))),
    ("Вакцина АКДС (дифтерия, коклюш, столбняк)", "01", "Дифтерия, коклюш, столбняк",
     ((1, 91), (2, 137), (3, 182), (4, 548))),
    ("Вакцина против полиомиелита (ИПВ)", "10", "Полиомиелит", ((1, 91), (2, 137), (3, 182))),
    ("Вакцина против полиомиелита (ОПВ)", "02", "Полиомиелит", ((4, 548), (5, 608), (6, 2191))),
    ("Вакцина против гемофильной инфекции типа b", "17", "Гемофильная инфекция", ((1, 91), (2, 137), (3, 548))),
    ("Вакцина против кори, краснухи и эпидемического паротита", "03", "Корь, краснуха, паротит",
     ((1, 365), (2, 2191))),
    ("Анатоксин АДС-М (дифтерия, столбняк)", "09", "Дифтерия, столбняк", ((5, 2191), (6, 5114))),
)
FLU = ("Вакцина против гриппа", "141", "Грипп")
COVID = ("Гам-КОВИД-Вак (вакцина против COVID-19)", None, "COVID-19")


def vaccinations(r: random.Random, birth: date, start: date, end: date, clinic_of: object,
                 prefix: str) -> list[Vaccination]:
    """A person's vaccinations between ``start`` and ``end``; ``clinic_of(day)`` names the clinic."""
    out: list[Vaccination] = []

    def give(text: str, cvx: str | None, series: str, dose: int, day: date) -> None:
        if start <= day <= end:
            out.append(Vaccination(f"{prefix}-{len(out) + 1}", text, cvx, dose, series, day,
                                   clinic_of(day), f"{r.choice('АБВГКМНП')}{r.randint(100, 999)}-{day.year % 100:02d}"))

    refuser = r.random() < 0.05  # some families refuse the calendar
    for text, cvx, series, doses in CALENDAR:
        for dose, age in doses:
            if not refuser and r.random() < 0.97:
                give(text, cvx, series, dose, birth + timedelta(days=age + r.randint(0, 20)))
    flu_rate = 0.35 if (end - birth).days > 60 * 365 else 0.2
    for year in range(start.year, end.year + 1):
        if r.random() < flu_rate and (date(year, 10, 1) - birth).days > 183:
            give(FLU[0], FLU[1], f"{FLU[2]}, сезон {year}/{year + 1}", 1,
                 date(year, 9, 15) + timedelta(days=r.randint(0, 75)))
    if (date(2021, 6, 1) - birth).days > 18 * 365 and r.random() < 0.55:
        first = date(2021, 2, 1) + timedelta(days=r.randint(0, 300))
        give(*COVID, 1, first)
        give(*COVID, 2, first + timedelta(days=21))
    out.sort(key=lambda v: v.day)
    return out
