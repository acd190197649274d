"""Identifiers: the official SNILS check number and our documented MHI scheme (Luhn)."""

from __future__ import annotations

import pytest

from mappers import identifiers as ids
from seed_data.checksums import doctor_snils, luhn_digit, luhn_valid, mhi_number, person_serial, resident_snils
from seed_data.people import population


def test_luhn_on_the_textbook_example() -> None:
    assert luhn_digit("7992739871") == 3
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")


def test_snils_check_number_is_the_official_one() -> None:
    assert ids.snils_check("112233445") == 95  # the example of the Social Fund's rule: 112-233-445 95
    for serial in (0, 1, 7, 12_345, 99_999_999):
        number = resident_snils(42, serial)
        assert ids.snils(number) == number  # the mappers' check accepts it
        assert int(number[9:]) == ids.snils_check(number[:9])
    assert doctor_snils(3).startswith("9")


def test_mhi_numbers_are_16_digits_moscow_and_luhn_valid() -> None:
    number = mhi_number(2026, person_serial(123_456, 3))
    assert len(number) == 16 and number.startswith("7726")
    assert luhn_valid(number)
    assert ids.mhi(number) == number
    with pytest.raises(ValueError):
        mhi_number(1, 10**11)


def test_a_single_wrong_digit_breaks_the_mhi_check() -> None:
    number = mhi_number(7, 98_765)
    for position in range(16):
        wrong = number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1:]
        assert not luhn_valid(wrong)


def test_identifiers_are_unique_in_a_population() -> None:
    people = [p for home in population(3000, 9) for p in home.members]
    assert len(people) == 3000
    assert len({p.mhi for p in people}) == 3000
    assert len({p.snils for p in people}) == 3000
    assert all(luhn_valid(p.mhi) and ids.snils(p.snils) for p in people)
