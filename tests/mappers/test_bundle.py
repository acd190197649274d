"""mappers.bundle: deterministic full URLs, encoded conditions, duplicate detection."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from mappers.bundle import TransactionBuilder, full_url, identifier_query
from mappers.errors import MappingError


def test_full_url_is_a_name_based_uuid_of_type_system_and_value() -> None:
    a = full_url("Patient", "https://emc.mos.ru/fhir/sid/mhi", "7754310890001234")
    assert a == full_url("Patient", "https://emc.mos.ru/fhir/sid/mhi", "7754310890001234")
    assert a.startswith("urn:uuid:") and a[9:23].count("-") == 2 and a[23] == "5"  # version 5
    assert a != full_url("Practitioner", "https://emc.mos.ru/fhir/sid/mhi", "7754310890001234")
    assert a != full_url("Patient", "https://emc.mos.ru/fhir/sid/mhi", "7754310890001235")


def test_identifier_query_survives_query_parsing_with_cyrillic_slashes_and_plus() -> None:
    query = identifier_query("https://emc.mos.ru/fhir/sid/hospital-stay", "0501/ИБ-2024+1&x=y")
    assert parse_qsl(query) == [("identifier", "https://emc.mos.ru/fhir/sid/hospital-stay|0501/ИБ-2024+1&x=y")]


def test_add_refuses_a_second_record_with_the_same_identifier() -> None:
    tx = TransactionBuilder()
    tx.add({"resourceType": "Observation"}, "s", "v")
    with pytest.raises(MappingError, match="two Observation records have the identifier s|v"):
        tx.add({"resourceType": "Observation"}, "s", "v")


def test_share_keeps_the_first_participant() -> None:
    tx = TransactionBuilder()
    first = tx.share({"resourceType": "Practitioner", "name": [{"family": "А"}]}, "s", "1")
    again = tx.share({"resourceType": "Practitioner", "name": [{"family": "Б"}]}, "s", "1")
    bundle = tx.bundle()
    assert first == again and len(bundle["entry"]) == 1
    assert bundle["entry"][0]["resource"]["name"] == [{"family": "А"}]
    assert bundle["entry"][0]["request"] == {"method": "POST", "url": "Practitioner", "ifNoneExist": "identifier=s|1"}
