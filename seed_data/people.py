"""Households and the people in them: who lives in the synthetic Moscow.

A household is drawn from its own generator (``rng(seed, "hh", index)``), so household 1,000,000 is
as cheap as household 0 and needs nothing of the ones before it. Kinds and weights are a rough
picture of Moscow households: singles, couples, parents with children (children under 15 are seen
by their parents as guardians; teenagers of 15+ have their own access), single parents, elderly
people. Members are listed adults first, so a population cut at N people keeps whole families
except, at most, the last children of the last household.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import names
from .checksums import mhi_number, person_serial, resident_snils
from .moscow import DISTRICTS, District
from .rng import rng, weighted

UNTIL = date(2026, 11, 1)
"""Default end of the generated history: a fixed day, so a seed gives the same data on any day."""

KINDS = (("single", 0.20), ("couple", 0.18), ("family", 0.34), ("single-parent", 0.10), ("elderly", 0.18))


@dataclass(frozen=True)
class Address:
    district: District
    street: str
    house: int
    flat: int

    @property
    def line(self) -> str:
        return f"{self.street}, д. {self.house}, кв. {self.flat}"


@dataclass(frozen=True)
class Person:
    household: int
    member: int
    sex: str  # "male" / "female"
    family: str
    given: str
    patronymic: str
    birth: date
    mhi: str
    snils: str
    phone: str
    address: Address
    parents: tuple[int, ...] = ()  # member numbers of the parents living with a child
    relation: str = "adult"  # "adult", "spouse", "child"

    @property
    def key(self) -> str:
        return f"{self.household}/{self.member}"

    def age(self, on: date) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))

    def clinic(self, on: date) -> str:
        """The polyclinic the person is attached to: children's until 18, then the adults' one."""
        return self.address.district.children_clinic if self.age(on) < 18 else self.address.district.clinic


@dataclass(frozen=True)
class Household:
    index: int
    address: Address
    members: tuple[Person, ...] = field(default=())


def household(seed: int, index: int, until: date = UNTIL) -> Household:
    """Household ``index`` of the population ``seed`` (the whole of it: generation is per household)."""
    r = rng(seed, "hh", index)
    district = r.choice(DISTRICTS)
    address = Address(district, r.choice(district.streets), r.randint(1, 120), r.randint(1, 400))
    builder = _Builder(seed, index, address, until, r)
    kind = weighted(r, KINDS)
    if kind == "single":
        builder.adult(r.choice(("male", "female")), r.randint(18, 85))
    elif kind == "couple":
        builder.couple(r.randint(22, 75))
    elif kind == "elderly":
        if r.random() < 0.55:
            builder.couple(r.randint(65, 88))
        else:
            builder.adult("female" if r.random() < 0.7 else "male", r.randint(65, 95))
    else:
        mother_age = r.randint(24, 50)
        if kind == "family":
            builder.couple(mother_age + r.randint(0, 4), wife_age=mother_age)
        else:
            builder.adult("female" if r.random() < 0.85 else "male", mother_age)
        for _ in range(weighted(r, ((1, 0.5), (2, 0.38), (3, 0.12)))):
            builder.child(r.randint(0, min(17, mother_age - 20)))
    return Household(index, address, tuple(builder.people))


def households(seed: int, start: int = 0, until: date = UNTIL) -> Iterator[Household]:
    """Households ``start``, ``start + 1``... without end (the caller decides when to stop)."""
    index = start
    while True:
        yield household(seed, index, until)
        index += 1


def population(patients: int, seed: int, until: date = UNTIL) -> Iterator[Household]:
    """The households of a population of exactly ``patients`` people; the last one may be cut short."""
    left = patients
    for home in households(seed, until=until):
        if left <= 0:
            return
        if len(home.members) > left:
            home = Household(home.index, home.address, home.members[:left])
        left -= len(home.members)
        yield home


class _Builder:
    def __init__(self, seed: int, index: int, address: Address, until: date, r: random.Random) -> None:
        self.seed, self.index, self.address, self.until, self.r = seed, index, address, until, r
        self.people: list[Person] = []
        self.family_name = names.surname(r)

    def adult(self, sex: str, age: int, relation: str = "adult", family: str | None = None) -> Person:
        birth = self._birth(age)
        father = self.r.choice(names.MALE)[0]
        return self._add(sex, family or self.family_name, names.first_name(self.r, sex, birth.year),
                         names.patronymic(father, sex), birth, (), relation)

    def couple(self, husband_age: int, wife_age: int | None = None) -> None:
        wife_age = wife_age if wife_age is not None else max(18, husband_age + self.r.randint(-6, 3))
        self.adult("male", husband_age)
        keeps_own = self.r.random() < 0.15
        self.adult("female", wife_age, "spouse", names.surname(self.r) if keeps_own else None)

    def child(self, age: int) -> None:
        sex = self.r.choice(("male", "female"))
        birth = self._birth(age)
        fathers = [p for p in self.people if p.sex == "male" and p.relation != "child"]
        father = fathers[0].given if fathers else self.r.choice(names.MALE)[0]
        parents = tuple(p.member for p in self.people if p.relation != "child")
        family = fathers[0].family if fathers else self.people[0].family
        self._add(sex, family, names.first_name(self.r, sex, birth.year), names.patronymic(father, sex), birth,
                  parents, "child")

    def _birth(self, age: int) -> date:
        return self.until - timedelta(days=int(age * 365.25) + self.r.randint(1, 364))

    def _add(self, sex: str, family: str, given: str, patronymic: str, birth: date, parents: tuple[int, ...],
             relation: str) -> Person:
        member = len(self.people)
        serial = person_serial(self.index, member)
        phone = f"+79{self.r.randint(0, 99):02d}{self.r.randint(0, 9_999_999):07d}"
        person = Person(self.index, member, sex, names.surname_for(family, sex), given, patronymic, birth,
                        mhi_number(self.seed, serial), resident_snils(self.seed, serial), phone, self.address,
                        parents, relation)
        self.people.append(person)
        return person
