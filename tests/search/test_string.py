"""String normalisation and matching (http://hl7.org/fhir/R4/search.html#string)."""

from __future__ import annotations

import re

import pytest

from fhir_server.search import string
from fhir_server.search.parameters import search_param
from fhir_server.search.syntax import QueryOptions

from .matcher import any_matches


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Smith", "smith"), ("Chloé", "chloe"), ("MÜLLER", "muller"), ("Ёлкин", "елкин"),
     ("Йошкар-Ола", "йошкар-ола"), ("Андрей", "андрей")],
)
def test_fold_removes_case_and_accents(text: str, folded: str) -> None:
    assert string.fold(text) == folded


def test_human_name_and_address_parts_are_separate_entries() -> None:
    name = {"family": "Иванов", "given": ["Пётр", "Ильич"], "prefix": ["Dr."], "text": "Пётр Иванов"}
    assert [e["v"] for e in string.normalise("name", [name])] == [
        "петр иванов", "иванов", "петр", "ильич", "dr.",
    ]
    address = {"line": ["Тверская 1"], "city": "Москва", "postalCode": "125009", "country": "RU"}
    assert [e["v"] for e in string.normalise("address", [address])] == ["тверская 1", "москва", "125009", "ru"]
    assert string.normalise("s", ["", "  ", 3]) == []


def _search(raw: str, stored: object) -> bool:
    param = search_param("Patient", "name")
    assert param is not None
    return any_matches(string.normalise("name", [stored]), string.conditions(param, raw, QueryOptions()))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("jo", True), ("JOHN", True), ("jöhn", True), ("ohn", False), ("johnny", False), ("Sm", True),
     ("j.*", False), ("", True)],
)
def test_starts_with_case_and_accent_insensitive(raw: str, expected: bool) -> None:
    assert _search(raw, {"given": ["John"], "family": "Smith"}) is expected


@pytest.mark.parametrize("special", [".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "^", "$", "|", "\\", "/"])
def test_regex_characters_are_literal(special: str) -> None:
    stored = f"a{special}b"
    assert _search(f"a{special}", stored)
    assert not _search(f"a{special}", "axb")
    regex = string.conditions(search_param("Patient", "name"), f"a{special}", QueryOptions())[0]["v"]["$regex"]  # type: ignore[arg-type]
    assert regex.startswith("^a") and re.compile(regex)
