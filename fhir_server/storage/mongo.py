"""MongoDB connection, collections and the indexes the code creates at start-up.

The document shapes are described in docs/storage.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient
from pymongo.collection import Collection
from pymongo.database import Database

from fhir_server.config import Settings
from fhir_server.storage.embedded_mongo import mongodb

EMBEDDED_PORT = 27117  # the embedded mongod of `make run`; FHIR_MONGO_PORT overrides it

# Resources that take compartments from what they point at, by target (fhir_server.storage.linked_compartments):
# few documents have links, so the index is sparse.
LINK_INDEXES = [IndexModel([("lk", ASCENDING)], name="links", sparse=True)]
# System history reads current versions by time too (type history uses the search layer's t, lu).
CURRENT_VERSION_INDEXES = [IndexModel([("lu", DESCENDING)], name="updated"), *LINK_INDEXES]

HISTORY_INDEXES = [
    IndexModel([("t", ASCENDING), ("id", ASCENDING), ("vid", DESCENDING)], name="instance"),
    IndexModel([("t", ASCENDING), ("lu", DESCENDING)], name="type_updated"),
    IndexModel([("lu", DESCENDING)], name="updated"),
    *LINK_INDEXES,
]


@dataclass
class Store:
    """The collections one server instance works with."""

    client: MongoClient
    db: Database

    @property
    def resources(self) -> Collection:
        return self.db["resources"]

    @property
    def history(self) -> Collection:
        return self.db["history"]


def connect(uri: str, database: str) -> Store:
    # tz_aware so that datetimes read back are UTC-aware, like the ones written.
    client: MongoClient = MongoClient(uri, tz_aware=True, uuidRepresentation="standard")
    return Store(client=client, db=client[database])


def ensure_indexes(store: Store) -> None:
    from fhir_server.search.indexes import INDEXES  # the search layer owns the resources indexes

    store.resources.create_indexes(INDEXES + CURRENT_VERSION_INDEXES)
    store.history.create_indexes(HISTORY_INDEXES)


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[tuple[Settings, Store]]:
    """The configured MongoDB, or an embedded one with its data in ``FHIR_DATA_DIR`` for the duration of the
    block; the settings given back name the URI in use."""
    port = int(os.environ.get("FHIR_MONGO_PORT", EMBEDDED_PORT))
    with mongodb(settings.mongodb_uri, settings.data_dir, port) as uri:
        if not settings.mongodb_uri:
            logging.info("embedded MongoDB at %s, data in %s", uri, settings.data_dir / "mongo")
        yield replace(settings, mongodb_uri=uri), connect(uri, settings.database)
