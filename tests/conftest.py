"""Shared fixtures: one real embedded mongod for the whole test session.

With ``MONGODB_URI`` set, the tests use that server instead (each session in its own database).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from bench.shared_data import shared_dir
from fhir_server.storage.embedded_mongo import mongodb
from fhir_server.storage.mongo import Store

SHARED = shared_dir()
EXAMPLES_DIR = SHARED / "fhir-r4" / "examples"
SYNTHEA_DEV = SHARED / "data" / "synthea" / "dev"
SYNTHEA_EVAL = SHARED / "data" / "synthea" / "eval"


@pytest.fixture(scope="session")
def mongo_uri() -> Iterator[str]:
    with mongodb(os.environ.get("MONGODB_URI")) as uri:
        yield uri


@pytest.fixture(scope="session")
def mongo_client(mongo_uri: str) -> Iterator[MongoClient]:
    client: MongoClient = MongoClient(mongo_uri, tz_aware=True)
    yield client
    client.close()


@pytest.fixture(scope="session")
def mongo_db(mongo_client: MongoClient) -> Iterator[Database]:
    """A database of its own for this test session (dropped at the end)."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield mongo_client[name]
    mongo_client.drop_database(name)


BASE = "http://testserver/fhir"


@pytest.fixture()
def store(mongo_client: MongoClient) -> Iterator[Store]:
    """A fresh, empty database for one test."""

    name = f"t_{uuid.uuid4().hex[:12]}"
    yield Store(client=mongo_client, db=mongo_client[name])
    mongo_client.drop_database(name)


@pytest.fixture()
def app(store: Store):  # type: ignore[no-untyped-def]
    from fhir_server.app import create_app
    from fhir_server.config import Settings

    application = create_app(Settings(base_url=BASE, auth="off"), store=store)
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def client(app):  # type: ignore[no-untyped-def]
    from tests.fhir_client import FhirTestClient

    return FhirTestClient(app.test_client())
