"""Laboratory panels with believable values and the reference ranges Russian labs print.

Each test is drawn from a normal distribution around a healthy mean, shifted by what the person has
(a diabetic's glucose and HbA1c, hypercholesterolaemia's LDL, CKD's creatinine), and reported with
the lab's reference range for the person's sex and age; the HL7 v2 emitter flags values outside it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .events import LabResult


@dataclass(frozen=True)
class Test:
    loinc: str
    name: str
    unit: str
    mean: float
    sd: float
    low: float | None
    high: float | None
    decimals: int = 1
    female: tuple[float, float | None, float | None] | None = None  # mean, low, high for women
    child: tuple[float, float | None, float | None] | None = None  # for under 15


CBC = ("58410-2", "Общий (клинический) анализ крови")
BIOCHEMISTRY = ("24323-8", "Биохимический анализ крови")
HBA1C = ("4548-4", "Гликированный гемоглобин (HbA1c)")
LIPIDS = ("57698-3", "Липидный профиль")

PANELS: dict[str, tuple[Test, ...]] = {
    CBC[0]: (
        Test("718-7", "Гемоглобин", "г/л", 148, 10, 130, 170, 0, female=(132, 120, 150), child=(125, 110, 140)),
        Test("789-8", "Эритроциты", "10^12/л", 4.9, 0.35, 4.0, 5.5, 2, female=(4.4, 3.7, 4.7), child=(4.5, 3.9, 5.3)),
        Test("6690-2", "Лейкоциты", "10^9/л", 6.3, 1.5, 4.0, 9.0, 1, child=(7.5, 4.5, 11.0)),
        Test("777-3", "Тромбоциты", "10^9/л", 250, 45, 180, 320, 0, child=(280, 150, 400)),
        Test("4544-3", "Гематокрит", "%", 44, 3, 40, 48, 1, female=(39, 36, 42), child=(37, 33, 44)),
        Test("30341-2", "СОЭ", "мм/ч", 7, 4, 2, 15, 0, female=(9, 2, 20), child=(6, 2, 10)),
    ),
    BIOCHEMISTRY[0]: (
        Test("14749-6", "Глюкоза", "ммоль/л", 5.0, 0.45, 3.9, 6.1, 1),
        Test("14682-9", "Креатинин", "мкмоль/л", 88, 11, 62, 106, 0, female=(70, 44, 80)),
        Test("14647-2", "Холестерин общий", "ммоль/л", 5.0, 0.8, None, 5.2, 2),
        Test("1742-6", "АЛТ", "Ед/л", 24, 9, None, 41, 0, female=(19, None, 33)),
        Test("1920-8", "АСТ", "Ед/л", 23, 7, None, 40, 0, female=(20, None, 32)),
        Test("14631-6", "Билирубин общий", "мкмоль/л", 12, 4, 3.4, 20.5, 1),
    ),
    HBA1C[0]: (Test("4548-4", "Гликированный гемоглобин", "%", 5.3, 0.3, None, 6.0, 1),),
    LIPIDS[0]: (
        Test("14647-2", "Холестерин общий", "ммоль/л", 5.0, 0.8, None, 5.2, 2),
        Test("14646-4", "Холестерин ЛПВП", "ммоль/л", 1.4, 0.3, 1.0, None, 2),
        Test("22748-8", "Холестерин ЛПНП", "ммоль/л", 2.9, 0.7, None, 3.0, 2),
        Test("14927-8", "Триглицериды", "ммоль/л", 1.3, 0.5, None, 1.7, 2),
    ),
}
NAMES = {code: name for code, name in (CBC, BIOCHEMISTRY, HBA1C, LIPIDS)}

# Shifts of the mean by condition (ICD-10 prefix -> {LOINC: added to the mean})
EFFECTS: dict[str, dict[str, float]] = {
    "E11": {"14749-6": 2.4, "4548-4": 2.0},
    "E78": {"14647-2": 1.4, "22748-8": 1.3, "14927-8": 0.5},
    "I25": {"14647-2": 0.6, "22748-8": 0.5},
    "N18": {"14682-9": 55},
    "E66": {"14927-8": 0.6, "14749-6": 0.4},
}


def panel(r: random.Random, code: str, sex: str, age: int, conditions: set[str]) -> tuple[LabResult, ...]:
    """The results of one panel for a person of this sex, age and set of ICD-10 codes."""
    prefixes = {c[:3] for c in conditions}
    out = []
    for test in PANELS[code]:
        mean, low, high = test.mean, test.low, test.high
        if age < 15 and test.child:
            mean, low, high = test.child
        elif sex == "female" and test.female:
            mean, low, high = test.female
        mean += sum(EFFECTS.get(p, {}).get(test.loinc, 0.0) for p in prefixes)
        value = max(round(r.gauss(mean, test.sd), test.decimals), 10 ** -test.decimals)
        out.append(LabResult(test.loinc, test.name, value, test.unit, low, high, test.decimals))
    return tuple(out)


def range_text(result: LabResult) -> str:
    """The reference range as OBX-7 carries it: ``130-170``, ``<5.2``, ``>1.0``."""
    def fmt(x: float) -> str:
        return f"{x:.{result.decimals}f}" if result.decimals else f"{x:g}"

    if result.low is not None and result.high is not None:
        return f"{fmt(result.low)}-{fmt(result.high)}"
    if result.high is not None:
        return f"<{fmt(result.high)}"
    return f">{fmt(result.low)}" if result.low is not None else ""


def flag(result: LabResult) -> str:
    """The OBX-8 abnormal flag (HL7 table 0078): L, H or N."""
    if result.low is not None and result.value < result.low:
        return "L"
    if result.high is not None and result.value > result.high:
        return "H"
    return "N"
