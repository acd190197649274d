"""The facts guardian access depends on: the 15th birthday and verified kinship."""

from __future__ import annotations

from datetime import date

import pytest

from fhir_server.access.policy import KINSHIP_VERIFIED, fifteenth_birthday, is_under_age_limit, kinship_verified


@pytest.mark.parametrize(("born", "limit"), [
    ("2011-06-15", date(2026, 6, 15)),
    ("2012-02-29", date(2027, 3, 1)),
    ("2011-06", date(2026, 6, 1)),  # partial dates count from their first day
    ("2011", date(2026, 1, 1)),
    ("2011-06-15T10:00:00+03:00", date(2026, 6, 15)),
    ("garbage", None),
])
def test_fifteenth_birthday(born, limit):
    assert fifteenth_birthday(born) == limit


def test_access_ends_on_the_birthday():
    child = {"birthDate": "2011-06-15"}
    assert is_under_age_limit(child, date(2026, 6, 14))
    assert not is_under_age_limit(child, date(2026, 6, 15))
    assert not is_under_age_limit({}, date(2026, 6, 14))  # no birth date: no guardian access


def test_kinship_must_be_verified_true():
    assert kinship_verified({"extension": [{"url": KINSHIP_VERIFIED, "valueBoolean": True}]})
    assert not kinship_verified({"extension": [{"url": KINSHIP_VERIFIED, "valueBoolean": False}]})
    assert not kinship_verified({"extension": [{"url": KINSHIP_VERIFIED, "valueString": "true"}]})
    assert not kinship_verified({})
