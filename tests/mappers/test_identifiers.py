"""Identifier checks and the NamingSystems in profiles/ that declare the systems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fhir_server.validation import validate_structure
from mappers import identifiers as ids
from mappers.errors import MappingError
from mappers.naming_systems import file_name, render

PROFILES = Path(__file__).resolve().parents[2] / "profiles"


@pytest.mark.parametrize("value", ["112-233-445 95", "11223344595", "156 432 981 81", "001-001-998 00"])
def test_snils_accepts_valid_numbers_with_or_without_separators(value: str) -> None:
    assert ids.snils(value) == value.replace("-", "").replace(" ", "")


@pytest.mark.parametrize("value", ["11223344596", "1122334459", "abc", "112233445951"])
def test_snils_rejects_wrong_check_numbers_and_shapes(value: str) -> None:
    with pytest.raises(MappingError):
        ids.snils(value)


def _weighted(first_nine: str) -> int:
    return sum(int(d) * w for d, w in zip(first_nine, range(9, 0, -1), strict=True))


def test_snils_check_number_is_the_sum_modulo_101_with_100_as_00() -> None:
    assert ids.snils_check("000011111") == 15
    assert ids.snils_check("999999999") == 405 % 101
    candidates = (f"{n:09d}" for n in range(1_002_000, 1_500_000))
    wrapped = {}
    for digits in candidates:
        if _weighted(digits) in (100, 101) and _weighted(digits) not in wrapped:
            wrapped[_weighted(digits)] = digits
        if len(wrapped) == 2:
            break
    assert {total: ids.snils_check(d) for total, d in wrapped.items()} == {100: 0, 101: 0}


def test_mhi_and_passport_shapes() -> None:
    assert ids.mhi("7754 3108 9000 1234") == "7754310890001234"
    assert ids.passport("45 10 № 123456") == "4510123456"
    for bad in ("775431089000123", "77543108900012345", "7754-3108-9000-1234x"):
        with pytest.raises(MappingError, match="MHI policy number"):
            ids.mhi(bad)


def test_org_codes_and_local_ids() -> None:
    assert ids.org_code(" 0112 ") == "0112"
    for bad in ("01/12", "a|b", "", "a b"):
        with pytest.raises(MappingError):
            ids.org_code(bad)
    assert ids.local_id("ИБ-2024/01731", "case number") == "ИБ-2024/01731"
    with pytest.raises(MappingError):
        ids.local_id("a|b", "case number")


def test_every_system_is_an_emc_uri_and_roots_name_them() -> None:
    assert len({s.name for s in ids.SYSTEMS}) == len(ids.SYSTEMS)
    for system in ids.SYSTEMS:
        assert system.uri.startswith("https://emc.mos.ru/fhir/sid/")
        assert ids.ROOTS[system.uuid] == system.uri
    assert ids.ROOTS["1.2.643.100.3"] == ids.SNILS


@pytest.mark.parametrize("system", ids.SYSTEMS, ids=lambda s: s.name)
def test_naming_system_file_is_generated_from_the_code_and_valid(system: ids.IdSystem) -> None:
    path = PROFILES / file_name(system)
    assert path.read_text(encoding="utf-8") == render(system), "run: python -m mappers.naming_systems profiles"
    resource = json.loads(path.read_text(encoding="utf-8"))
    assert validate_structure(resource) == []
    assert {"type": "uri", "value": system.uri, "preferred": True} in resource["uniqueId"]


def test_no_stray_naming_system_files() -> None:
    from seed_data.identifiers import SYSTEMS as SEED_SYSTEMS  # systems only the generator issues

    expected = {file_name(s) for s in (*ids.SYSTEMS, *SEED_SYSTEMS)}
    assert {p.name for p in PROFILES.glob("NamingSystem-*.json")} == expected
