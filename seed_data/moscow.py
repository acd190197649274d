"""Moscow as the generator needs it: districts with real street names, clinics, hospitals, labs.

Small and embedded on purpose (no download, no data set): a couple of dozen real districts of
several administrative okrugs, a few real streets in each with an approximate postal code, and the
medical organisations of the city's health department (ДЗМ) that residents are attached to. The
organisations' names follow the department's naming pattern; their codes, which district each one
serves and their staff are synthetic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from . import names
from .checksums import doctor_snils
from .rng import rng


@dataclass(frozen=True)
class District:
    okrug: str
    name: str
    postal_code: str
    streets: tuple[str, ...]
    clinic: str  # code of the adults' polyclinic
    children_clinic: str  # code of the children's polyclinic


@dataclass(frozen=True)
class Organization:
    code: str
    name: str
    kind: str  # "clinic", "children-clinic", "hospital", "lab"
    district: str


@dataclass(frozen=True)
class Doctor:
    snils: str
    family: str
    given: str
    patronymic: str
    sex: str
    specialty: str
    clinic: str


_DISTRICTS = """
ЦАО|Арбат|119002|ул. Арбат;Калошин пер.;Староконюшенный пер.
ЦАО|Хамовники|119021|Комсомольский просп.;ул. Льва Толстого;ул. Плющиха
ЦАО|Басманный|105066|ул. Старая Басманная;ул. Новая Басманная;ул. Покровка
ЦАО|Пресненский|123022|ул. Красная Пресня;Большая Грузинская ул.;ул. Зоологическая
ЦАО|Замоскворечье|115035|ул. Большая Ордынка;Пятницкая ул.;ул. Большая Полянка
САО|Аэропорт|125319|Ленинградский просп.;ул. Черняховского;ул. Усиевича
САО|Беговой|125284|Хорошёвское ш.;ул. Поликарпова;Беговая ул.
САО|Ховрино|125475|ул. Дыбенко;Фестивальная ул.;Клинская ул.
СВАО|Бибирево|127549|ул. Плещеева;Алтуфьевское ш.;Бибиревская ул.
СВАО|Отрадное|127566|ул. Декабристов;Высоковольтный пр.;ул. Хачатуряна
ВАО|Сокольники|107113|ул. Сокольнический Вал;Русаковская ул.;ул. Шумкина
ВАО|Измайлово|105187|Измайловский просп.;ул. Первомайская;Никитинская ул.
ЮВАО|Марьино|109341|ул. Перерва;Люблинская ул.;ул. Братиславская
ЮВАО|Выхино-Жулебино|109145|Рязанский просп.;ул. Генерала Кузнецова;Жулебинский бул.
ЮАО|Чертаново Северное|117556|Варшавское ш.;Балаклавский просп.;ул. Чертановская
ЮАО|Братеево|115612|Борисовские пруды;ул. Братеевская;Ключевая ул.
ЮЗАО|Академический|117036|ул. Профсоюзная;ул. Дмитрия Ульянова;ул. Вавилова
ЮЗАО|Тёплый Стан|117574|ул. Профсоюзная;Новоясеневский просп.;ул. Генерала Тюленева
ЗАО|Кунцево|121351|ул. Ярцевская;Молодогвардейская ул.;Рублёвское ш.
ЗАО|Раменки|119607|Мичуринский просп.;ул. Винницкая;Раменки ул.
СЗАО|Хорошёво-Мнёвники|123154|ул. Маршала Жукова;ул. Народного Ополчения;ул. Демьяна Бедного
СЗАО|Митино|125464|Пятницкое ш.;Митинская ул.;ул. Барышиха
ЗелАО|Крюково|124482|Панфиловский просп.;Заводская ул.;Центральный просп.
НАО|Коммунарка|108801|ул. Александры Монаховой;Бачуринская ул.;ул. Сосенский Стан
"""


def _parse() -> tuple[tuple[District, ...], tuple[Organization, ...]]:
    districts, orgs = [], []
    for number, line in enumerate(row for row in _DISTRICTS.splitlines() if row.strip()):
        okrug, name, postal, streets = line.split("|")
        clinic, child = f"01{number:02d}", f"02{number:02d}"
        districts.append(District(okrug, name, postal, tuple(streets.split(";")), clinic, child))
        orgs.append(Organization(clinic, f"ГБУЗ «Городская поликлиника № {100 + number * 3} ДЗМ»", "clinic", name))
        orgs.append(Organization(child, f"ГБУЗ «Детская городская поликлиника № {10 + number * 2} ДЗМ»",
                                 "children-clinic", name))
    return tuple(districts), tuple(orgs)


DISTRICTS, POLYCLINICS = _parse()

HOSPITALS: tuple[Organization, ...] = (
    Organization("0501", "ГБУЗ «Городская клиническая больница № 52 ДЗМ»", "hospital", "Хорошёво-Мнёвники"),
    Organization("0502", "ГБУЗ «ГКБ № 1 им. Н.И. Пирогова ДЗМ»", "hospital", "Якиманка"),
    Organization("0503", "ГБУЗ «ГКБ им. С.П. Боткина ДЗМ»", "hospital", "Беговой"),
    Organization("0504", "ГБУЗ «ГКБ № 15 им. О.М. Филатова ДЗМ»", "hospital", "Вешняки"),
    Organization("0505", "ГБУЗ «ГКБ № 40 ДЗМ»", "hospital", "Коммунарка"),
    Organization("0506", "ГБУЗ «Морозовская ДГКБ ДЗМ»", "children-hospital", "Якиманка"),
)

LABS: tuple[Organization, ...] = (
    Organization("CDL01", "Централизованная диагностическая лаборатория № 1", "lab", "Пресненский"),
    Organization("CDL02", "Централизованная диагностическая лаборатория № 2", "lab", "Марьино"),
    Organization("CDL03", "Централизованная диагностическая лаборатория № 3", "lab", "Кунцево"),
)

SPECIALTIES = {
    "clinic": ("терапевт", "терапевт", "терапевт", "кардиолог", "эндокринолог", "невролог", "пульмонолог",
               "хирург", "офтальмолог", "функциональной диагностики", "эндоскопист", "рентгенолог"),
    "children-clinic": ("педиатр", "педиатр", "педиатр", "аллерголог-иммунолог", "детский хирург",
                        "офтальмолог", "функциональной диагностики", "рентгенолог"),
    "hospital": ("терапевт", "кардиолог", "хирург", "пульмонолог", "невролог"),
    "children-hospital": ("педиатр", "детский хирург", "пульмонолог"),
}

ORGANIZATIONS: dict[str, Organization] = {o.code: o for o in (*POLYCLINICS, *HOSPITALS, *LABS)}
DISTRICT_BY_NAME: dict[str, District] = {d.name: d for d in DISTRICTS}


@cache
def staff(code: str) -> tuple[Doctor, ...]:
    """The doctors of a clinic or hospital: the same in every population (the city's staff is fixed)."""
    org = ORGANIZATIONS[code]
    out = []
    org_index = list(ORGANIZATIONS).index(code)
    for k, specialty in enumerate(SPECIALTIES[org.kind]):
        r = rng(0, "doctor", code, k)
        sex = "female" if r.random() < 0.7 else "male"
        family = names.surname_for(names.surname(r), sex)
        given = names.first_name(r, sex, 1975)
        father = r.choice(names.MALE)[0]
        out.append(Doctor(doctor_snils(org_index * 100 + k), family, given, names.patronymic(father, sex), sex,
                          specialty, code))
    return tuple(out)


def doctor(r: random.Random, code: str, specialty: str | None = None) -> Doctor:
    """A doctor of ``code``, of ``specialty`` when the organisation has one."""
    doctors = staff(code)
    fitting = [d for d in doctors if d.specialty == specialty] if specialty else []
    return r.choice(fitting or doctors)
