"""The Synthea dev resources stored once per test session, as the storage layer stores them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.collection import Collection
from pymongo.database import Database

from fhir_server.search.compile import CompiledSearch, compile_search
from fhir_server.search.indexes import INDEXES
from fhir_server.storage.store import current_document

from .corpus import synthea_resources

START = datetime(2024, 1, 1, tzinfo=UTC)
NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def synthea(mongo_db: Database) -> Iterator[Collection]:
    collection = mongo_db[f"synthea_{uuid.uuid4().hex[:8]}"]
    collection.create_indexes(INDEXES)
    collection.insert_many([current_document(r, 1, START + timedelta(minutes=n), "POST")
                            for n, r in enumerate(synthea_resources())])
    yield collection
    collection.drop()


class CollectionResolver:
    """The chain/_has resolver of the search service, over one collection, without a policy."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def ids(self, resource_type: str, query: dict[str, Any], limit: int) -> list[str]:
        return [d["_id"] for d in self.collection.find(query, {"_id": 1}).limit(limit)]

    def references(self, resource_type: str, query: dict[str, Any], code: str, limit: int) -> list[str] | None:
        docs = list(self.collection.find(query, {"i": 1}).limit(limit + 1))
        if len(docs) > limit:
            return None
        return [e["v"] for d in docs for e in d["i"] if e["p"] == code]


def compiled(collection: Collection, rtype: str, params: list[tuple[str, str]]) -> CompiledSearch:
    return compile_search(rtype, params, now=NOW, resolver=CollectionResolver(collection))


def found(collection: Collection, rtype: str, params: list[tuple[str, str]]) -> list[str]:
    """Ids of the matches, in the search's sort order."""
    search = compiled(collection, rtype, params)
    return [d["id"] for d in collection.find(search.filter, {"id": 1}).sort(search.sort)]
