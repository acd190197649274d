"""The date/time regexes accept exactly what the fhir.resources validators accept."""

from __future__ import annotations

import itertools
import random
import re
from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from pydantic import ValidationError

from fhir_server.validation import datetimes

YEARS = ["0000", "0001", "0999", "1000", "1900", "1999", "2000", "2019", "2020", "2100", "2400", "999", "20200"]
MONTHS = ["00", "01", "02", "04", "06", "09", "11", "12", "13", "1"]
DAYS = ["00", "01", "28", "29", "30", "31", "32", "1"]
TIMES = ["00:00:00", "23:59:59", "23:59:60", "24:00:00", "12:60:00", "10:00", "10:00:00.5", "10:00:00.1234567",
         "9:00:00", "10:00:00."]
ZONES = ["", "Z", "+00:00", "-00:00", "-14:00", "+14:00", "+14:30", "+13:59", "+15:00", "+0300", "z"]


def _values() -> list[str]:
    out = set(YEARS)
    out.update(f"{y}-{m}" for y, m in itertools.product(YEARS, MONTHS))
    out.update(f"{y}-{m}-{d}" for y, m, d in itertools.product(YEARS, MONTHS, DAYS))
    rng = random.Random(4)
    for _ in range(1500):
        date = f"{rng.choice(YEARS)}-{rng.choice(MONTHS)}-{rng.choice(DAYS)}"
        out.add(f"{date}T{rng.choice(TIMES)}{rng.choice(ZONES)}")
    out.update(t + z for t, z in itertools.product(TIMES, ZONES))
    out.update(["", " 2020", "2020 ", "2020-01-01 10:00:00Z", "2020-01-01t10:00:00Z", "today"])
    return sorted(out)


VALUES = _values()


def _accepts(model: Any, field: str, value: str, extra: dict[str, Any]) -> bool:
    try:
        model.model_validate({**extra, field: value})
    except ValidationError:
        return False
    return True


OBS = {"status": "final", "code": {"text": "x"}}
TYPES = {
    "date": (datetimes.DATE, Patient, "birthDate", {}),
    "dateTime": (datetimes.DATETIME, Observation, "effectiveDateTime", OBS),
    "instant": (datetimes.INSTANT, Observation, "issued", OBS),
    "time": (datetimes.TIME, Observation, "valueTime", OBS),
}


@pytest.mark.parametrize("fhir_type", sorted(TYPES))
def test_regex_agrees_with_fhir_resources(fhir_type: str) -> None:
    pattern, model, field, extra = TYPES[fhir_type]
    regex = re.compile(pattern)
    disagree = [v for v in VALUES if bool(regex.search(v)) != _accepts(model, field, v, extra)]
    assert disagree == []
    assert sum(bool(regex.search(v)) for v in VALUES) >= 4  # the corpus exercises the accepting side


def test_leap_years() -> None:
    date = re.compile(datetimes.DATE)
    assert [y for y in ("1600", "1900", "2000", "2020", "2021", "2100", "2400") if date.search(f"{y}-02-29")] == [
        "1600", "2000", "2020", "2400"]
