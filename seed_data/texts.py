"""The free text of an examination protocol: complaints, anamnesis, examination, recommendations.

Doctors write these in a handful of stock phrases; a few per diagnosis, with measured values (blood
pressure, pulse, temperature) drawn for the visit, are enough for the card to read like a real one
and for full-text and narrative handling to meet Cyrillic prose of realistic length.
"""

from __future__ import annotations

import random

from .diseases import Drug

COMPLAINTS = {
    "I10": "Периодические головные боли в затылочной области, шум в ушах при повышении АД.",
    "E11": "Сухость во рту, жажда, учащённое мочеиспускание.",
    "J45": "Эпизоды затруднённого дыхания, сухой кашель по ночам.",
    "J44": "Одышка при ходьбе, кашель с небольшим количеством мокроты по утрам.",
    "I25": "Давящие боли за грудиной при физической нагрузке, проходящие в покое.",
    "I48": "Перебои в работе сердца, слабость.",
    "E78": "Жалоб не предъявляет.",
    "E03": "Слабость, зябкость, сонливость.",
    "K29": "Тяжесть в эпигастрии после еды, изжога.",
    "M42": "Боли в шейном и поясничном отделах позвоночника, усиливающиеся после нагрузки.",
    "N18": "Слабость, пастозность голеней к вечеру.",
    "E66": "Избыточная масса тела, одышка при нагрузке.",
    "L20": "Зуд и сухость кожи, высыпания на сгибательных поверхностях.",
    "H52": "Снижение остроты зрения вдаль.",
    "J06": "Повышение температуры до {temp} °C, насморк, першение в горле.",
    "J02": "Боль в горле при глотании, повышение температуры до {temp} °C.",
    "J20": "Кашель с мокротой, повышение температуры до {temp} °C, слабость.",
    "H66": "Боль в ухе, повышение температуры до {temp} °C.",
    "K52": "Жидкий стул до 5 раз в сутки, тошнота, боли в животе.",
    "M54": "Боли в пояснице после подъёма тяжести, ограничение движений.",
    "R51": "Головная боль давящего характера во второй половине дня.",
    "H10": "Покраснение и слезотечение обоих глаз.",
    "T78": "Высыпания на коже, зуд.",
    "U07": "Повышение температуры до {temp} °C, кашель, потеря обоняния.",
    "Z00": "Жалоб нет. Явка для профилактического осмотра.",
}

ANAMNESIS = {
    "chronic": ("Болеет в течение {years} лет. Наблюдается у {specialty}а. Терапию получает регулярно.",
                "Диагноз установлен {years} лет назад. Рекомендации выполняет не всегда.",
                "Состоит на диспансерном учёте {years} лет. Ухудшение отмечает последние 2 недели."),
    "acute": ("Заболел{a} остро {days} дня назад. Самостоятельно не лечил{sya}.",
              "Болеет {days} дня. Принимал{a} жаропонижающие с кратковременным эффектом.",
              "Ухудшение самочувствия около {days} дней назад."),
    "checkup": ("Хронических заболеваний в анамнезе нет. Аллергологический анамнез не отягощён.",
                "Перенесённые заболевания: ОРВИ. Травм и операций не было."),
}


def vitals(r: random.Random, age: int, hypertensive: bool, fever: bool) -> dict[str, str]:
    systolic = r.randint(135, 175) if hypertensive else r.randint(105, 135)
    return {"sys": str(systolic if age >= 12 else r.randint(90, 110)),
            "dia": str(systolic * 6 // 10 + r.randint(-5, 10)),
            "hr": str(r.randint(62, 92) if age >= 12 else r.randint(80, 120)),
            "temp": f"{r.uniform(37.3, 38.9):.1f}".replace(".", ",") if fever else "36,6",
            "sat": str(r.randint(95, 99))}


def complaints(r: random.Random, code: str, v: dict[str, str]) -> str:
    return COMPLAINTS.get(code[:3], "Жалоб нет.").format(**v)


def anamnesis(r: random.Random, kind: str, years: int, specialty: str, sex: str) -> str:
    """The anamnesis; Russian past-tense verbs agree with the patient's sex (заболел / заболела)."""
    female = sex == "female"
    return r.choice(ANAMNESIS[kind]).format(years=max(years, 1), days=r.randint(2, 5), specialty=specialty,
                                            a="а" if female else "", sya="ась" if female else "ся")


def examination(v: dict[str, str]) -> str:
    return ("Состояние удовлетворительное. Кожные покровы обычной окраски. Температура тела {temp} °C.\n"
            "АД {sys}/{dia} мм рт. ст., ЧСС {hr} уд/мин, ритм правильный. SpO2 {sat}%.\n"
            "Дыхание везикулярное, хрипов нет. Живот мягкий, безболезненный.").format(**v)


def recommendations(drugs: list[Drug], follow_up_days: int) -> str:
    lines = [f"{d.name}: {d.dose}." for d in drugs]
    lines.append(f"Повторная явка через {follow_up_days} дней." if follow_up_days < 60
                 else "Плановый осмотр через 3 месяца.")
    return "\n".join(lines)
