"""The SearchParameter registry, loaded from the official R4 definitions."""

from __future__ import annotations

from fhir_server.search.parameters import search_param, search_params, split_union


def test_type_params_include_the_resource_level_ones() -> None:
    params = search_params("Observation")
    for code in ("code", "date", "subject", "patient", "value-quantity", "_id", "_lastUpdated", "_tag",
                 "_profile", "_security", "_source", "_text"):
        assert code in params
    assert params["_lastUpdated"].type == "date"
    assert params["_tag"].expression == "Observation.meta.tag"
    assert "_text" not in search_params("Bundle")


def test_shared_expressions_keep_only_the_branches_of_the_type() -> None:
    patient = search_param("Observation", "patient")
    assert patient is not None
    assert patient.expression == "Observation.subject.where(resolve() is Patient)"
    assert patient.targets == ("Patient",)
    quantity = search_param("Observation", "value-quantity")
    assert quantity is not None
    assert quantity.expression == "(Observation.value as Quantity) | (Observation.value as SampledData)"


def test_composites_are_extracted_and_special_are_registered_but_not_extracted() -> None:
    composite = search_param("Observation", "code-value-quantity")
    assert composite is not None and composite.type == "composite" and composite.extractable
    assert [(c.expression, c.type) for c in composite.components] == [("code", "token"),
                                                                       ("value.as(Quantity)", "quantity")]
    coordinates = search_param("MolecularSequence", "chromosome-variant-coordinate")
    assert coordinates is not None and not coordinates.extractable  # %resource, number keys
    near = search_param("Location", "near")
    assert near is not None and not near.extractable
    text = search_param("Observation", "_text")
    assert text is not None and not text.extractable


def test_unknown_codes() -> None:
    assert search_param("Observation", "name[$ne]") is None
    assert search_param("Observation", "nope") is None


def test_split_union_respects_parentheses_and_strings() -> None:
    assert split_union("(A.b as X) | A.c.where(d='x|y') | A.e") == ["(A.b as X)", "A.c.where(d='x|y')", "A.e"]
