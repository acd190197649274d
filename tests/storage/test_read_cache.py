"""The read cache (fhir_server.storage.read_cache): served only while provably current.

Each test counts the ``find`` commands the app's own MongoClient sends, so "served from the cache"
and "read from the database" are observed, not assumed.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from pymongo import MongoClient, monitoring

from fhir_server.app import create_app
from fhir_server.config import Settings
from fhir_server.errors import NotFound
from fhir_server.interactions import read
from fhir_server.rest import Context, FhirRequest
from fhir_server.storage import read_cache
from fhir_server.storage.mongo import Store
from fhir_server.storage.store import ResourceStore
from tests.conftest import BASE
from tests.fhir_client import FhirTestClient


class FindCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.finds = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == "resources":
            self.finds += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


class Worker:
    """One server process's app: its own MongoClient, read cache and change-stream follower."""

    def __init__(self, uri: str, database: str, size: int = 100) -> None:
        self.counter = FindCounter()
        self.mongo: MongoClient = MongoClient(uri, tz_aware=True, event_listeners=[self.counter])
        self.app = create_app(Settings(base_url=BASE, auth="off", read_cache_size=size),
                              store=Store(client=self.mongo, db=self.mongo[database]))
        self.client = FhirTestClient(self.app.test_client())
        self.store: ResourceStore = self.app.extensions["fhir_context"].store
        assert self.store.cache is not None

    def ready(self) -> None:
        """Wait until the change stream is open, so that reads may be cached."""
        self.client.get("Patient/none")  # the first read starts the follower
        wait_for(lambda: self.cache.follower().fresh())

    @property
    def cache(self) -> read_cache.ReadCache:
        assert self.store.cache is not None
        return self.store.cache

    def settle(self) -> None:
        """Wait until the follower has applied every change made so far (late events evict)."""
        now = time.time()
        wait_for(lambda: self.cache.follower().caught_up > now)

    def cached(self, path: str) -> None:
        """Read ``path`` into the cache and check that the next read is a hit."""
        self.settle()
        self.client.get(path)
        assert self.finds_for(lambda: self.client.get(path)) == 0

    def finds_for(self, action: Callable[[], Any]) -> int:
        before = self.counter.finds
        action()
        return self.counter.finds - before

    def close(self) -> None:
        assert self.store.cache is not None
        self.store.cache.close()
        self.mongo.close()


@pytest.fixture()
def database(mongo_client: MongoClient) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    mongo_client.drop_database(name)


@pytest.fixture()
def workers(mongo_uri: str, database: str) -> Iterator[list[Worker]]:
    made = [Worker(mongo_uri, database), Worker(mongo_uri, database)]
    for worker in made:
        worker.ready()
    yield made
    for worker in made:
        worker.close()


def test_a_cached_absence_ends_when_another_worker_creates_the_resource(
        workers: list[Worker], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = workers
    a.cached("Patient/later")
    assert a.client.get("Patient/later").status_code == 404
    monkeypatch.setattr(a.cache, "evict", lambda key: None)
    assert b.client.put("Patient/later", {**patient("Later"), "id": "later"}).status_code == 201
    assert family(a.client.get("Patient/later")) == "Later"


def test_a_reindex_stamps_what_it_rewrote(workers: list[Worker], mongo_client: MongoClient, database: str) -> None:
    from fhir_server.search import reindex

    a = workers[0]
    pid = a.client.create(patient("Reindexed"))["id"]
    table = read_cache.stamps()
    assert table is not None
    before = table.read(read_cache.key_hash(database, f"Patient/{pid}"))
    store = Store(client=mongo_client, db=mongo_client[database])
    reindex.reindex_all(store)
    reindex.run_pending(store)
    assert table.read(read_cache.key_hash(database, f"Patient/{pid}")) != before


def patient(family: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "name": [{"family": family}]}


def family(response: Any) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["name"][0]["family"]


def cached_patient_without_eviction(worker: Worker, name: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A Patient cached by ``worker``, whose change stream then evicts nothing: what it reads
    afterwards is right only through the shared write stamps."""
    pid = worker.client.create(patient(name))["id"]
    worker.cached(f"Patient/{pid}")
    monkeypatch.setattr(worker.cache, "evict", lambda key: None)
    return pid


def test_a_second_read_is_served_from_the_cache(workers: list[Worker]) -> None:
    a = workers[0]
    pid = a.client.create(patient("Ivanova"))["id"]
    assert a.finds_for(lambda: family(a.client.get(f"Patient/{pid}"))) == 1
    a.cached(f"Patient/{pid}")
    response = a.client.get(f"Patient/{pid}")
    assert family(response) == "Ivanova"
    assert response.headers["ETag"] == 'W/"1"'
    assert "Last-Modified" in response.headers


def test_an_update_through_another_worker_is_read_at_once(workers: list[Worker],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = workers
    pid = cached_patient_without_eviction(a, "Petrova", monkeypatch)
    for n in range(5):
        updated = b.client.put(f"Patient/{pid}", {**patient(f"Petrova-{n}"), "id": pid})
        assert updated.status_code == 200
        response = a.client.get(f"Patient/{pid}")
        assert family(response) == f"Petrova-{n}"
        assert response.headers["ETag"] == f'W/"{n + 2}"'


def test_a_delete_through_another_worker_is_read_at_once(workers: list[Worker],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = workers
    pid = cached_patient_without_eviction(a, "Sidorova", monkeypatch)
    assert b.client.delete(f"Patient/{pid}").status_code in (200, 204)
    assert a.client.get(f"Patient/{pid}").status_code == 410


def test_a_transaction_is_read_at_once_after_it_commits(workers: list[Worker],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = workers
    ids = [a.client.create(patient(f"Kuznetsova-{n}"))["id"] for n in range(3)]
    for pid in ids:
        a.cached(f"Patient/{pid}")
    monkeypatch.setattr(a.cache, "evict", lambda key: None)
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {**patient(f"Smirnova-{n}"), "id": pid}, "request": {"method": "PUT", "url": f"Patient/{pid}"}}
        for n, pid in enumerate(ids)]}
    assert b.client.post("", bundle).status_code == 200
    assert [family(a.client.get(f"Patient/{pid}")) for pid in ids] == ["Smirnova-0", "Smirnova-1", "Smirnova-2"]


def test_a_failed_transaction_changes_nothing_cached(workers: list[Worker]) -> None:
    a, b = workers
    pid = a.client.create(patient("Volkova"))["id"]
    a.cached(f"Patient/{pid}")
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {**patient("Changed"), "id": pid}, "request": {"method": "PUT", "url": f"Patient/{pid}"}},
        {"resource": {"resourceType": "Observation"}, "request": {"method": "POST", "url": "Observation"}}]}
    assert b.client.post("", bundle).status_code >= 400
    assert family(a.client.get(f"Patient/{pid}")) == "Volkova"
    assert family(b.client.get(f"Patient/{pid}")) == "Volkova"


def test_a_write_that_bypasses_the_server_is_seen_through_the_change_stream(
        workers: list[Worker], mongo_client: MongoClient, database: str) -> None:
    a = workers[0]
    pid = a.client.create(patient("Morozova"))["id"]
    a.cached(f"Patient/{pid}")
    # Another host's write: no shared stamp is bumped, only the change stream reports it.
    mongo_client[database]["resources"].update_one({"_id": f"Patient/{pid}"},
                                                   {"$set": {"res.name": [{"family": "Elsewhere"}]}})
    wait_for(lambda: family(a.client.get(f"Patient/{pid}")) == "Elsewhere", timeout=read_cache.STALE_AFTER + 3)


def test_nothing_is_served_from_the_cache_while_the_change_stream_lags(workers: list[Worker],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    a = workers[0]
    pid = a.client.create(patient("Orlova"))["id"]
    a.cached(f"Patient/{pid}")
    follower = a.cache.follower()
    monkeypatch.setattr(read_cache, "STALE_AFTER", -1.0)  # any lag is too much
    assert a.finds_for(lambda: a.client.get(f"Patient/{pid}")) == 1
    assert follower.thread.is_alive() and a.cache.follower() is follower
    monkeypatch.setattr(read_cache, "STALE_AFTER", 2.0)
    assert a.finds_for(lambda: a.client.get(f"Patient/{pid}")) == 0


def test_a_follower_that_caught_up_to_an_old_event_only_is_not_fresh(workers: list[Worker]) -> None:
    follower = workers[0].cache.follower()
    follower.open = True
    follower.caught_up = time.time() - read_cache.STALE_AFTER - 1  # working through a backlog
    assert not follower.fresh()


def test_the_follower_survives_an_unexpected_error(workers: list[Worker], monkeypatch: pytest.MonkeyPatch) -> None:
    a = workers[0]
    follower = a.cache.follower()
    real_evict = a.cache.evict
    failures = []

    def evict_once(key: str) -> None:
        if not failures:
            failures.append(key)
            raise RuntimeError("boom")
        real_evict(key)

    monkeypatch.setattr(a.cache, "evict", evict_once)
    pid = a.client.create(patient("Zaitseva"))["id"]
    wait_for(lambda: failures == [f"Patient/{pid}"])
    a.cached(f"Patient/{pid}")  # the same thread reopened the stream and is fresh again
    assert a.cache.follower() is follower and follower.thread.is_alive()


def test_dropping_the_collection_empties_the_cache(workers: list[Worker], mongo_client: MongoClient,
                                                   database: str) -> None:
    a = workers[0]
    pid = a.client.create(patient("Lebedeva"))["id"]
    a.cached(f"Patient/{pid}")
    mongo_client[database]["resources"].drop()
    wait_for(lambda: a.client.get(f"Patient/{pid}").status_code == 404)


def test_reads_with_summary_or_elements_leave_the_cached_resource_whole(workers: list[Worker]) -> None:
    a = workers[0]
    created = a.client.create({**patient("Novikova"), "gender": "female", "birthDate": "1990-01-01"})
    pid = created["id"]
    a.cached(f"Patient/{pid}")
    assert "gender" not in a.client.get(f"Patient/{pid}?_elements=name").get_json()
    assert "gender" in a.client.get(f"Patient/{pid}?_summary=true").get_json()
    assert a.client.get(f"Patient/{pid}").get_json() == created


def test_the_access_policy_decides_on_a_cached_document(workers: list[Worker]) -> None:
    a = workers[0]
    pid = a.client.create(patient("Pavlova"))["id"]
    a.cached(f"Patient/{pid}")

    class Nobody:
        def visible(self, doc: dict[str, Any]) -> bool:
            return False

    open_ctx: Context = a.app.extensions["fhir_context"]
    hidden = replace(open_ctx, policy=Nobody())  # type: ignore[arg-type]  # Nobody answers only visible()
    a.settle()
    req = FhirRequest(method="GET", path=["Patient", pid])
    assert a.finds_for(lambda: pytest.raises(NotFound, read.handle, hidden, req)) == 0
    assert read.handle(open_ctx, req).status == 200


def test_the_cache_keeps_at_most_its_size(mongo_uri: str, database: str) -> None:
    worker = Worker(mongo_uri, database, size=3)
    try:
        worker.ready()
        ids = [worker.client.create(patient(f"N{n}"))["id"] for n in range(6)]
        worker.settle()
        for pid in ids:
            worker.client.get(f"Patient/{pid}")
        assert len(worker.cache) == 3
    finally:
        worker.close()


def test_a_size_of_zero_turns_the_cache_off(mongo_uri: str, database: str) -> None:
    mongo: MongoClient = MongoClient(mongo_uri)
    app = create_app(Settings(base_url=BASE, auth="off", read_cache_size=0), store=Store(mongo, mongo[database]))
    assert app.extensions["fhir_context"].store.cache is None
    mongo.close()


def _stamp_in_process(method: str, database: str, key: str) -> None:
    process = multiprocessing.get_context(method).Process(target=read_cache.note_committed, args=(database, [key]))
    process.start()
    process.join(60)
    assert process.exitcode == 0


def test_write_stamps_are_shared_between_processes() -> None:
    table = read_cache.stamps()
    assert table is not None
    database, key = f"t_{uuid.uuid4().hex[:12]}", "Patient/shared"
    hashed = read_cache.key_hash(database, key)
    seen = {table.read(hashed)}
    # A spawned process opens the table itself; a forked one shares the mapping it inherited (a
    # gunicorn worker forked from a master that wrote). Both stamps reach this process, and a
    # stamp never comes back to an earlier value.
    for method in ("spawn", "fork", "fork", "fork"):
        _stamp_in_process(method, database, key)
        stamp = table.read(hashed)
        assert stamp not in seen
        seen.add(stamp)
