"""Families, names and the shape of the histories: what makes the population believable."""

from __future__ import annotations

from collections import Counter

from seed_data import UNTIL, population
from seed_data.history import history
from seed_data.names import MALE, feminine_surname, patronymic
from seed_data.pipeline import direct_bundle

SEED = 17


def test_children_live_with_a_parent_and_carry_the_fathers_patronymic() -> None:
    children = 0
    for home in population(1500, SEED):
        for person in home.members:
            if person.relation != "child":
                continue
            children += 1
            parents = [home.members[i] for i in person.parents]
            assert parents, person
            assert all(p.age(UNTIL) - person.age(UNTIL) >= 18 for p in parents)
            father = next((p for p in parents if p.sex == "male"), None)
            if father:
                assert person.patronymic == patronymic(father.given, person.sex)
                assert person.family in (father.family, feminine_surname(father.family))
    assert children > 200


def test_every_child_under_15_has_a_guardian_related_person() -> None:
    checked = 0
    for home in population(600, SEED):
        bundle = direct_bundle(home, [], UNTIL, SEED)  # guardian links need no history
        patients = {e["resource"]["identifier"][0]["value"]: e["fullUrl"] for e in bundle["entry"]
                    if e["resource"]["resourceType"] == "Patient"}
        guardians = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "RelatedPerson"]
        for child in (p for p in home.members if p.age(UNTIL) < 15):
            mine = [g for g in guardians if g["patient"]["reference"] == patients[child.mhi]]
            assert len(mine) == len(child.parents) >= 1
            for g in mine:
                codes = {c["code"] for r in g["relationship"] for c in r["coding"]}
                assert codes & {"MTH", "FTH"} and "GUARD" in codes
                assert g["extension"][0]["url"] == "https://emc.mos.ru/fhir/StructureDefinition/kinship-verified"
            checked += 1
    assert checked > 50


def test_names_have_russian_forms() -> None:
    people = [p for home in population(800, SEED) for p in home.members]
    male_patronymics = {row[1] for row in MALE}
    female_patronymics = {row[2] for row in MALE}
    for p in people:
        assert p.patronymic in (male_patronymics if p.sex == "male" else female_patronymics)
        if p.sex == "female" and p.family.endswith(("ов", "ев", "ин")):
            raise AssertionError(f"male surname form for a woman: {p.family}")


def test_diseases_and_sections_follow_age() -> None:
    older = young = hypertensive_older = 0
    sections: Counter[str] = Counter()
    for home in population(1200, SEED):
        for person in home.members:
            h = history(person, SEED, UNTIL)
            codes = {c.icd10 for c in h.chronic}
            age = person.age(UNTIL)
            if age >= 60:
                older += 1
                hypertensive_older += "I10" in codes
            if age < 18:
                young += 1
                assert not codes & {"I25.1", "E11.9", "J44.9"}
                sections["child vaccinations"] += bool(h.vaccinations)
            if age >= 25:
                sections["adult fluorography"] += any(s.modality == "DX" for s in h.imaging)
            sections["visits"] += len(h.visits)
            sections["labs"] += len(h.lab_orders)
            sections["stays"] += len(h.stays)
            assert all(v.start.date() >= max(person.birth, UNTIL.replace(year=2017, month=1, day=1))
                       for v in h.visits)
            assert all(o.collected.year >= 2019 for o in h.lab_orders)
    assert 0.4 < hypertensive_older / older < 0.8
    assert sections["child vaccinations"] > 0.8 * young
    assert sections["adult fluorography"] > 0 and sections["labs"] > 0 and sections["stays"] > 0
