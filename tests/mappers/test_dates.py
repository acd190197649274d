"""Source dates and times as FHIR date/dateTime, Moscow time when no zone is given."""

from __future__ import annotations

import pytest

from mappers.dates import from_dicom, from_hl7, from_iso
from mappers.errors import MappingError


@pytest.mark.parametrize(("source", "fhir"), [
    ("2024", "2024"), ("202403", "2024-03"), ("20240312", "2024-03-12"),
    ("2024031210", "2024-03-12T10:00:00+03:00"), ("202403121015", "2024-03-12T10:15:00+03:00"),
    ("20240312101530", "2024-03-12T10:15:30+03:00"), ("20240312101530.25+0000", "2024-03-12T10:15:30.25+00:00"),
    ("20130701120000", "2013-07-01T12:00:00+04:00"),  # Moscow kept UTC+4 from 2011 to 2014
])
def test_hl7_timestamps(source: str, fhir: str) -> None:
    assert from_hl7(source) == fhir


@pytest.mark.parametrize(("source", "fhir"), [
    ("2024-03-12", "2024-03-12"), ("2024-03-12T10:15", "2024-03-12T10:15:00+03:00"),
    ("2024-03-12T10:15:00Z", "2024-03-12T10:15:00+00:00"), ("2024-03-12T10:15:00+0500", "2024-03-12T10:15:00+05:00"),
])
def test_iso_dates(source: str, fhir: str) -> None:
    assert from_iso(source) == fhir


def test_dicom_dates() -> None:
    assert from_dicom("20240320") == "2024-03-20"
    assert from_dicom("20240320", "093012.123456") == "2024-03-20T09:30:12+03:00"
    assert from_dicom("20240320", "0930", "+0000") == "2024-03-20T09:30:00+00:00"


@pytest.mark.parametrize("bad", ["20240230", "2024031225", "2024031210155", "12.03.2024", "20240312+2500"])
def test_bad_hl7_timestamps(bad: str) -> None:
    with pytest.raises(MappingError):
        from_hl7(bad)


def test_bad_dicom_values() -> None:
    for args in (("2024-03-20",), ("20240320", "9:30"), ("20240320", "0930", "0300")):
        with pytest.raises(MappingError):
            from_dicom(*args)
