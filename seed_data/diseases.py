"""What people are ill with: chronic ICD-10 diseases by age and sex, acute reasons to visit, allergies.

Prevalences are round figures in the range Russian and European surveys report for adults
(hypertension about a third of adults and most people over 60; type 2 diabetes under a tenth, more
with age; IHD and atrial fibrillation mostly after 60; asthma and atopic dermatitis in children...).
They make the card look like a city's, not an epidemiological model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from .rng import weighted


@dataclass(frozen=True)
class Drug:
    name: str  # international non-proprietary name with strength and form, as Russian prescriptions print it
    atc: str
    dose: str
    per_day: int
    days: int = 30


@dataclass(frozen=True)
class Chronic:
    icd10: str
    text: str
    bands: tuple[tuple[int, int, float], ...]  # (from age, to age, prevalence at that age)
    specialty: str
    drugs: tuple[Drug, ...] = ()
    male: float = 1.0  # prevalence factor by sex
    female: float = 1.0
    visits: float = 1.0  # extra clinic visits a year for it

    def prevalence(self, age: int, sex: str) -> float:
        factor = self.male if sex == "male" else self.female
        return next((p * factor for low, high, p in self.bands if low <= age <= high), 0.0)

    def onset_age(self, r: random.Random, age: int) -> int:
        """Most chronic diseases were diagnosed in the last decade or so (exponential, mean 8 years)."""
        start = min((low for low, high, p in self.bands if p > 0), default=0)
        return age - min(max(age - start, 0), int(r.expovariate(1 / 8)))


LISINOPRIL = Drug("Лизиноприл, таблетки 10 мг", "C09AA03", "по 1 таблетке утром", 1)
AMLODIPINE = Drug("Амлодипин, таблетки 5 мг", "C08CA01", "по 1 таблетке вечером", 1)
INDAPAMIDE = Drug("Индапамид, таблетки 2,5 мг", "C03BA11", "по 1 таблетке утром", 1)
METFORMIN = Drug("Метформин, таблетки 1000 мг", "A10BA02", "по 1 таблетке 2 раза в день во время еды", 2)
GLICLAZIDE = Drug("Гликлазид, таблетки с модифицированным высвобождением 60 мг", "A10BB09",
                  "по 1 таблетке утром во время завтрака", 1)
SALBUTAMOL = Drug("Сальбутамол, аэрозоль для ингаляций 100 мкг/доза", "R03AC02", "по 1-2 вдоха при приступе", 2)
BUDESONIDE = Drug("Будесонид, порошок для ингаляций 200 мкг/доза", "R03BA02", "по 1 вдоху 2 раза в день", 2)
TIOTROPIUM = Drug("Тиотропия бромид, капсулы с порошком для ингаляций 18 мкг", "R03BB04",
                  "по 1 капсуле в день через ингалятор", 1)
ATORVASTATIN = Drug("Аторвастатин, таблетки 20 мг", "C10AA05", "по 1 таблетке вечером", 1)
ASPIRIN = Drug("Ацетилсалициловая кислота, таблетки кишечнорастворимые 100 мг", "B01AC06",
               "по 1 таблетке после ужина", 1)
BISOPROLOL = Drug("Бисопролол, таблетки 5 мг", "C07AB07", "по 1 таблетке утром", 1)
LEVOTHYROXINE = Drug("Левотироксин натрия, таблетки 50 мкг", "H03AA01", "по 1 таблетке натощак", 1)
APIXABAN = Drug("Апиксабан, таблетки 5 мг", "B01AF02", "по 1 таблетке 2 раза в день", 2)
OMEPRAZOLE = Drug("Омепразол, капсулы 20 мг", "A02BC01", "по 1 капсуле утром натощак", 1, 28)
AMOXICILLIN = Drug("Амоксициллин, капсулы 500 мг", "J01CA04", "по 1 капсуле 3 раза в день", 3, 7)
IBUPROFEN = Drug("Ибупрофен, таблетки 200 мг", "M01AE01", "по 1 таблетке при боли, не более 3 в день", 3, 5)
CETIRIZINE = Drug("Цетиризин, таблетки 10 мг", "R06AE07", "по 1 таблетке вечером", 1, 14)

ADULT = 200  # "and older" in the bands

CHRONIC: tuple[Chronic, ...] = (
    Chronic("I10", "Эссенциальная (первичная) гипертензия", ((18, 39, 0.07), (40, 59, 0.33), (60, ADULT, 0.6)),
            "терапевт", (LISINOPRIL, AMLODIPINE, INDAPAMIDE), visits=1.5),
    Chronic("E11.9", "Сахарный диабет 2 типа без осложнений", ((35, 59, 0.06), (60, ADULT, 0.15)),
            "эндокринолог", (METFORMIN, GLICLAZIDE), visits=2.0),
    Chronic("J45.9", "Астма неуточнённая", ((3, 17, 0.06), (18, ADULT, 0.05)), "пульмонолог",
            (SALBUTAMOL, BUDESONIDE), visits=1.0),
    Chronic("J44.9", "Хроническая обструктивная лёгочная болезнь неуточнённая", ((40, 59, 0.04), (60, ADULT, 0.09)),
            "пульмонолог", (TIOTROPIUM, SALBUTAMOL), male=1.6, female=0.5, visits=1.0),
    Chronic("I25.1", "Атеросклеротическая болезнь сердца", ((50, 64, 0.08), (65, ADULT, 0.25)), "кардиолог",
            (ATORVASTATIN, ASPIRIN, BISOPROLOL), male=1.4, female=0.7, visits=1.5),
    Chronic("I48.9", "Фибрилляция и трепетание предсердий неуточнённые", ((60, ADULT, 0.07),), "кардиолог",
            (APIXABAN, BISOPROLOL), visits=1.0),
    Chronic("E78.0", "Чистая гиперхолестеринемия", ((40, ADULT, 0.18),), "терапевт", (ATORVASTATIN,), visits=0.5),
    Chronic("E03.9", "Гипотиреоз неуточнённый", ((30, ADULT, 0.06),), "эндокринолог", (LEVOTHYROXINE,),
            male=0.2, female=1.6, visits=0.5),
    Chronic("K29.5", "Хронический гастрит неуточнённый", ((18, ADULT, 0.09),), "терапевт", (OMEPRAZOLE,), visits=0.5),
    Chronic("M42.1", "Остеохондроз позвоночника у взрослых", ((30, ADULT, 0.12),), "невролог", (IBUPROFEN,),
            visits=0.5),
    Chronic("N18.3", "Хроническая болезнь почки, стадия 3", ((60, ADULT, 0.05),), "терапевт", visits=0.5),
    Chronic("E66.0", "Ожирение, обусловленное избыточным поступлением энергетических ресурсов",
            ((18, ADULT, 0.14),), "эндокринолог", visits=0.3),
    Chronic("L20.8", "Другие атопические дерматиты", ((0, 14, 0.08), (15, 30, 0.02)), "аллерголог-иммунолог",
            (CETIRIZINE,), visits=0.7),
    Chronic("H52.1", "Миопия", ((7, 17, 0.2), (18, ADULT, 0.15)), "офтальмолог", visits=0.3),
)
BY_CODE = {c.icd10: c for c in CHRONIC}


@dataclass(frozen=True)
class Acute:
    icd10: str
    text: str
    ages: tuple[int, int]
    weight: float
    drug: Drug | None = None


ACUTE: tuple[Acute, ...] = (
    Acute("J06.9", "Острая инфекция верхних дыхательных путей неуточнённая", (0, ADULT), 10),
    Acute("J02.9", "Острый фарингит неуточнённый", (3, ADULT), 3),
    Acute("J20.9", "Острый бронхит неуточнённый", (0, ADULT), 2, AMOXICILLIN),
    Acute("H66.9", "Средний отит неуточнённый", (0, 12), 2, AMOXICILLIN),
    Acute("K52.9", "Неинфекционный гастроэнтерит и колит неуточнённые", (0, ADULT), 1.5),
    Acute("M54.5", "Боль внизу спины", (25, ADULT), 3, IBUPROFEN),
    Acute("R51", "Головная боль", (12, ADULT), 1.5),
    Acute("H10.9", "Конъюнктивит неуточнённый", (0, ADULT), 1),
    Acute("T78.4", "Аллергия неуточнённая", (0, ADULT), 1, CETIRIZINE),
    Acute("Z00.0", "Общий медицинский осмотр", (18, ADULT), 4),
    Acute("Z00.1", "Рутинное обследование состояния здоровья ребёнка", (0, 17), 6),
)
COVID = Acute("U07.1", "COVID-19, вирус идентифицирован", (0, ADULT), 0)


def acute_reason(r: random.Random, age: int, day: date) -> Acute:
    if date(2020, 4, 1) <= day <= date(2022, 12, 31) and r.random() < 0.18:
        return COVID
    return weighted(r, [(a, a.weight) for a in ACUTE if a.ages[0] <= age <= a.ages[1]])


@dataclass(frozen=True)
class Allergen:
    text: str
    category: str  # food, medication, environment
    snomed: str | None
    display: str
    reaction: str
    weight: float


ALLERGENS: tuple[Allergen, ...] = (
    Allergen("Пенициллины", "medication", "764146007", "Penicillin", "Крапивница", 3),
    Allergen("Амоксициллин", "medication", "372687004", "Amoxicillin", "Крапивница", 1),
    Allergen("Ацетилсалициловая кислота", "medication", "387458008", "Aspirin", "Бронхоспазм", 1),
    Allergen("Ибупрофен", "medication", "387207008", "Ibuprofen", "Ангионевротический отёк", 0.5),
    Allergen("Пыльца растений (берёза, злаки)", "environment", "256259004", "Pollen", "Ринит, конъюнктивит", 5),
    Allergen("Шерсть кошки", "environment", "260152009", "Cat dander", "Ринит", 2),
    Allergen("Латекс", "environment", "111088007", "Latex", "Контактный дерматит", 0.5),
    Allergen("Коровье молоко", "food", "3718001", "Cow's milk", "Атопический дерматит", 1),
    Allergen("Куриное яйцо", "food", "102263004", "Eggs", "Крапивница", 1),
    Allergen("Арахис", "food", "762952008", "Peanut", "Анафилаксия", 0.7),
)


def allergies(r: random.Random, birth: date) -> list[tuple[Allergen, date]]:
    """About one person in six has one allergy, a few two; each with the day it was recorded."""
    count = weighted(r, ((0, 0.83), (1, 0.13), (2, 0.04)))
    chosen: list[tuple[Allergen, date]] = []
    for _ in range(count):
        allergen = weighted(r, [(a, a.weight) for a in ALLERGENS])
        if all(a is not allergen for a, _ in chosen):
            chosen.append((allergen, birth + timedelta(days=r.randint(365, 365 * 12))))
    return chosen
