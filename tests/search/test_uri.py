"""URI normalisation and matching (http://hl7.org/fhir/R4/search.html#uri)."""

from __future__ import annotations

from fhir_server.search import uri
from fhir_server.search.parameters import search_param
from fhir_server.search.syntax import QueryOptions


def test_uris_are_stored_and_matched_exactly() -> None:
    assert uri.normalise("url", ["http://a/b", "", None, 3]) == [{"p": "url", "v": "http://a/b"}]
    param = search_param("ValueSet", "url")
    assert param is not None
    assert uri.conditions(param, r"http://a/b?x=1\,2", QueryOptions()) == [{"v": "http://a/b?x=1,2"}]
