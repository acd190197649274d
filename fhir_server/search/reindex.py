"""Reindexing: re-extract the index entries of stored resources after a SearchParameter changes.

One job per SearchParameter version, in the ``reindex`` collection::

    {_id: "SearchParameter/<id>/<vid>", types: [...], status: pending|running|done,
     total, done, last: <last _id processed>, lease: <datetime>, created, finished}

A job walks the current documents of its types in ``_id`` order, in batches of :data:`BATCH`,
recomputes ``i``, ``r``, ``s`` and ``cmp`` with the current registry, and writes them back only
if the document's version did not change meanwhile (a newer write already extracted them). After
each batch it records ``done`` and ``last``, so progress can be read at any time and a job whose
runner died resumes where it stopped once its :data:`LEASE` expires.

Jobs run in a background thread of the server process that registered them, or from the command
line, which prints a progress line per batch::

    python -m fhir_server.search.reindex            # run pending jobs
    python -m fhir_server.search.reindex --status   # list jobs and their progress
    python -m fhir_server.search.reindex --all      # reindex every resource (e.g. after an upgrade)
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError, PyMongoError

from fhir_server.storage import linked_compartments, read_cache
from fhir_server.storage.mongo import Store

from .extract import extract

BATCH = 500
LEASE = timedelta(seconds=60)
log = logging.getLogger("fhir_server.search")

Progress = Callable[[dict[str, Any]], None]


def _now() -> datetime:
    return datetime.now(UTC)


def schedule(store: Store, definitions: list[dict[str, Any]]) -> None:
    """Record a job for every SearchParameter version without one, then run pending jobs in the
    background (unless ``FHIR_REINDEX_WORKER=off``)."""
    for doc in definitions:
        types = [b for b in doc["res"].get("base") or () if isinstance(b, str)]
        job = {"_id": f"{doc['_id']}/{doc.get('vid', 1)}", "types": types, "status": "pending", "total": None,
               "done": 0, "last": None, "created": _now()}
        try:
            store.db["reindex"].insert_one(job)
        except DuplicateKeyError:
            continue
    if os.environ.get("FHIR_REINDEX_WORKER", "on") != "off":
        start_worker(store)


_workers: dict[int, threading.Thread] = {}


def start_worker(store: Store) -> None:
    key = id(store.db)
    running = _workers.get(key)
    if running is not None and running.is_alive():
        return
    thread = threading.Thread(target=_work_quietly, args=(store,), name="reindex", daemon=True)
    _workers[key] = thread
    thread.start()


def _work_quietly(store: Store) -> None:
    try:
        run_pending(store)
    except PyMongoError as exc:  # the database went away (tests, shutdown): the job resumes later
        log.warning("reindex stopped: %s", exc)


def claim(store: Store) -> dict[str, Any] | None:
    """Take a pending job, or a running one whose lease expired."""
    now = _now()
    return store.db["reindex"].find_one_and_update(
        {"$or": [{"status": "pending"}, {"status": "running", "lease": {"$lt": now - LEASE}}]},
        {"$set": {"status": "running", "lease": now}},
        sort=[("created", 1)], return_document=ReturnDocument.AFTER)


def run_pending(store: Store, progress: Progress | None = None) -> int:
    """Run jobs until none is pending; returns how many ran."""
    ran = 0
    while (job := claim(store)) is not None:
        run_job(store, job, progress)
        ran += 1
    return ran


def run_job(store: Store, job: dict[str, Any], progress: Progress | None = None) -> None:
    jobs, resources = store.db["reindex"], store.resources
    query: dict[str, Any] = {"t": {"$in": job["types"]}, "del": {"$ne": True}}
    if job.get("total") is None:
        job["total"] = resources.count_documents(query)
        jobs.update_one({"_id": job["_id"]}, {"$set": {"total": job["total"]}})
    while True:
        page = dict(query, **({"_id": {"$gt": job["last"]}} if job.get("last") else {}))
        docs = list(resources.find(page, {"res": 1, "vid": 1}).sort("_id", 1).limit(BATCH))
        if not docs:
            break
        updates = [UpdateOne({"_id": d["_id"], "vid": d["vid"]}, {"$set": _fields(resources, d["res"])})
                   for d in docs]
        try:
            resources.bulk_write(updates, ordered=False)
        finally:  # some updates may be applied even when the write fails
            read_cache.note_committed(store.db.name, [d["_id"] for d in docs])  # compartments may move
        job["done"] += len(docs)
        job["last"] = docs[-1]["_id"]
        jobs.update_one({"_id": job["_id"]}, {"$set": {"done": job["done"], "last": job["last"], "lease": _now()}})
        if progress:
            progress(job)
    settle_compartments(store, job["types"])
    jobs.update_one({"_id": job["_id"]}, {"$set": {"status": "done", "finished": _now()}})
    job["status"] = "done"
    if progress:
        progress(job)


def _fields(resources: Collection, resource: dict[str, Any]) -> dict[str, Any]:
    extracted = extract(resource)
    fields = {"i": extracted.entries, "r": extracted.ranges, "s": extracted.sort, "cmp": extracted.compartments}
    fields["cmp"], targets = linked_compartments.compartments_of(resources, resource, extracted.compartments)
    if targets:  # compartments taken from what it points at (docs/auth.md)
        fields["lk"] = targets
    return fields


def settle_compartments(store: Store, types: list[str]) -> None:
    """What one pass over the current documents cannot do: chains of links resolved until nothing
    moves, versions written before history kept compartments given theirs (with the links they
    followed), and deletions of link-following resources the compartments of what they deleted."""
    resources, history = store.resources, store.history
    for _ in range(linked_compartments.MAX_LINK_DEPTH):
        moved = _recompute(resources, resources.find({"t": {"$in": types}, "lk": {"$exists": True},
                                                      "del": {"$ne": True}}, {"res": 1, "cmp": 1}))
        read_cache.note_committed(store.db.name, moved)
        if not moved:
            break
    _recompute(resources, history.find({"t": {"$in": types}, "res": {"$exists": True},
                                        "$or": [{"cmp": {"$exists": False}}, {"lk": {"$exists": True}}]},
                                       {"res": 1, "cmp": 1}), into=history)
    followers = [t for t in types if linked_compartments.follows_links(t)]
    for tomb in resources.find({"t": {"$in": followers}, "del": True}, {"t": 1, "id": 1, "vid": 1, "cmp": 1}):
        last = history.find_one({"_id": f"{tomb['t']}/{tomb['id']}/{tomb['vid'] - 1}"}, {"cmp": 1})
        cmp = linked_compartments.merged(tomb.get("cmp") or [], (last or {}).get("cmp") or [])
        if cmp != tomb.get("cmp"):
            resources.update_one({"_id": tomb["_id"]}, {"$set": {"cmp": cmp}})
            read_cache.note_committed(store.db.name, [tomb["_id"]])


def _recompute(resources: Collection, docs: Any, into: Collection | None = None) -> list[str]:
    moved = []
    for doc in docs:
        cmp, targets = linked_compartments.compartments_of(resources, doc["res"], extract(doc["res"]).compartments)
        if cmp != doc.get("cmp"):
            fields: dict[str, Any] = {"cmp": cmp, **({"lk": targets} if targets else {})}
            (into if into is not None else resources).update_one({"_id": doc["_id"]}, {"$set": fields})
            moved.append(doc["_id"])
    return moved


def reindex_all(store: Store) -> None:
    """Record one job over every type present (after an upgrade of the extraction)."""
    types = sorted(store.resources.distinct("t"))
    store.db["reindex"].insert_one({"_id": f"all/{_now().isoformat()}", "types": types, "status": "pending",
                                    "total": None, "done": 0, "last": None, "created": _now()})


def _print(job: dict[str, Any]) -> None:
    total = job.get("total") or 0
    share = f"{100 * job['done'] / total:5.1f}%" if total else "  -  "
    print(f"{job['_id']}: {job['done']}/{total} {share} {job.get('status', '')}", flush=True)


def main(argv: list[str]) -> None:
    from fhir_server.storage.mongo import connect

    from ..config import from_env

    settings = from_env()
    if not settings.mongodb_uri:
        raise SystemExit("Set MONGODB_URI to the database to reindex")
    run(connect(settings.mongodb_uri, settings.database), argv)


def run(store: Store, argv: list[str]) -> None:
    """The command: ``--status`` lists jobs, ``--all`` reindexes everything, else pending jobs run."""
    if "--status" in argv:
        for job in store.db["reindex"].find().sort("created", 1):
            _print(job)
        return
    from .custom import sync

    os.environ["FHIR_REINDEX_WORKER"] = "off"
    sync(store, force=True)
    if "--all" in argv:
        reindex_all(store)
    print(f"{run_pending(store, _print)} job(s) run")


if __name__ == "__main__":
    main(sys.argv[1:])
