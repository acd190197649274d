"""SMART scopes: v1 and v2 syntax, granular queries, narrowing, consent edits."""

from __future__ import annotations

import pytest

from fhir_server.auth.scopes import Scopes, narrow, parse_resource_scope, read_only, without_types
from tests.auth.helpers import LAB


@pytest.mark.parametrize(("text", "context", "rtype", "permissions"), [
    ("patient/*.read", "patient", "*", "rs"),
    ("user/*.*", "user", "*", "cruds"),
    ("patient/Observation.write", "patient", "Observation", "cud"),
    ("patient/Observation.rs", "patient", "Observation", "rs"),
    ("system/Patient.cruds", "system", "Patient", "cruds"),
    ("user/Encounter.cu", "user", "Encounter", "cu"),
])
def test_resource_scopes(text, context, rtype, permissions):
    scope = parse_resource_scope(text)
    assert scope is not None
    assert (scope.context, scope.resource_type, scope.permissions) == (context, rtype, frozenset(permissions))


@pytest.mark.parametrize("text", ["patient/Observation.sr", "patient/Observation.rr", "patient/Observation.x",
                                  "patient/Nonsense.rs", "group/Observation.rs", "patient/Observation.",
                                  "patient/*.rs?category=x", "patient/Observation.rs?value-quantity=5",
                                  "patient/Observation.rs?nope=x"])
def test_scopes_the_server_cannot_honour(text):
    assert parse_resource_scope(text) is None


def test_granular_scope_filter_and_match():
    scopes = Scopes(f"patient/Observation.rs?category={LAB}")
    system, code = LAB.split("|")
    assert scopes.filter("patient", "Observation", "s") == {"i": {"$elemMatch": {"p": "category", "v": code,
                                                                                    "s": system}}}
    entries = [{"p": "category", "v": code, "s": system}]
    assert scopes.matches("patient", "Observation", "r", entries)
    assert not scopes.matches("patient", "Observation", "r", [{"p": "category", "v": "vital-signs", "s": system}])
    assert scopes.filter("patient", "Condition", "s") is None
    assert Scopes(f"patient/Observation.rs?category={LAB} patient/Observation.rs").filter(
        "patient", "Observation", "s") == {}


def test_narrowing_to_the_clients_registration():
    allowed = "launch/patient openid patient/*.rs"
    assert narrow("launch/patient openid patient/Observation.read patient/Condition.cruds user/*.rs bogus",
                  allowed) == "launch/patient openid patient/Observation.read"
    assert narrow(f"patient/Observation.rs?category={LAB}", f"patient/Observation.rs?category={LAB}") \
        == f"patient/Observation.rs?category={LAB}"
    assert narrow("patient/Observation.rs", f"patient/Observation.rs?category={LAB}") == ""


def test_consent_edits_and_read_only():
    listed = ["Patient", "Observation", "Condition"]
    assert without_types("patient/*.rs openid", {"Condition"}, listed) == \
        "patient/Patient.rs patient/Observation.rs openid"
    assert without_types("patient/Observation.rs patient/Condition.rs", {"Condition"}, listed) == \
        "patient/Observation.rs"
    assert read_only(f"patient/*.cruds user/Observation.cu patient/Observation.rs?category={LAB} openid") == \
        f"patient/*.rs patient/Observation.rs?category={LAB} openid"
