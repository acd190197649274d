"""Identifiers with valid check digits: SNILS (the official rule) and the MHI policy number.

SNILS: the two check digits are the sum of the first nine digits weighted 9..1, modulo 101, with
100 written as 00 (the Social Fund's rule; :func:`mappers.identifiers.snils_check` implements it and
the mappers verify it, so we reuse that one function).

MHI (ЕНП, the 16-digit unified policy number): we could not find the official check-digit algorithm
in a source we can cite, so synthetic numbers use **our own documented scheme**: the 16th digit is
the Luhn (ISO/IEC 7812-1) check digit of the first 15. Layout of a synthetic number::

    77 | SS | NNNNNNNNNNN | C      77 = Moscow, SS = seed mod 100, N = person serial, C = Luhn

The person serial is ``household * 8 + member``, so a number depends only on (seed, household,
member) and households can be generated in any order. The mappers accept any 16 digits; our test
keeps the scheme. SNILS numbers also carry the official check digits, though the rule that no digit
repeats three times in a row is not enforced (the mappers do not check it either).
"""

from __future__ import annotations

from mappers.identifiers import snils_check

MEMBERS_PER_HOUSEHOLD = 8  # serial = household * 8 + member: room for the largest household
_PERMUTE = 48_271_009  # odd and not a multiple of 5: multiplication modulo 10**8 is a bijection


def luhn_digit(payload: str) -> int:
    """The Luhn check digit that makes ``payload + digit`` pass the Luhn test."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # these are doubled once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_digit(number[:-1]) == int(number[-1])


def mhi_number(seed: int, serial: int) -> str:
    """The synthetic MHI policy number of person ``serial`` of population ``seed``."""
    if not 0 <= serial < 10**11:
        raise ValueError(f"person serial {serial} out of range")
    payload = f"77{seed % 100:02d}{serial:011d}"
    return payload + str(luhn_digit(payload))


def person_serial(household: int, member: int) -> int:
    return household * MEMBERS_PER_HOUSEHOLD + member


def snils_number(prefix: int, serial: int) -> str:
    """An 11-digit SNILS with the official check digits.

    ``prefix`` (1-9) is the first digit (residents of a seed use ``1 + seed % 8``, doctors 9), the
    other eight are the serial scrambled by a bijection so that numbers do not look sequential.
    """
    if not 1 <= prefix <= 9:
        raise ValueError("SNILS prefix must be 1-9")
    body = f"{prefix}{serial * _PERMUTE % 10**8:08d}"
    return f"{body}{snils_check(body):02d}"


def resident_snils(seed: int, serial: int) -> str:
    return snils_number(1 + seed % 8, serial)


def doctor_snils(serial: int) -> str:
    return snils_number(9, serial)
