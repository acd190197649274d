"""Versioned resource storage on MongoDB (docs/storage.md).

Every write is one MongoDB transaction that inserts the new version into ``history`` and
swaps the current document in ``resources`` only if its version is still the one read: the
history ``_id`` ("Type/id/vid") is unique, so two writers that read the same version cannot
both commit. Interactions never touch the collections directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from fhir_server.errors import Conflict, VersionConflict
from fhir_server.search.custom import sync as sync_search_parameters
from fhir_server.search.extract import extract
from fhir_server.spec.fhir_dates import format_instant
from fhir_server.storage import linked_compartments, read_cache
from fhir_server.storage.mongo import Store

T = TypeVar("T")
Doc = dict[str, Any]


def now() -> datetime:
    """The current instant at BSON (millisecond) precision, so stored and served values agree."""
    stamp = datetime.now(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def new_id() -> str:
    return str(uuid.uuid4())


def stamp_meta(resource: dict[str, Any], vid: int, updated: datetime) -> dict[str, Any]:
    """Return the resource with the server-kept ``meta.versionId`` and ``meta.lastUpdated``."""
    meta = dict(resource.get("meta") or {})
    meta["versionId"] = str(vid)
    meta["lastUpdated"] = format_instant(updated)
    out = dict(resource)
    out["meta"] = meta
    return out


def current_document(resource: dict[str, Any], vid: int, updated: datetime, method: str,
                     user_written: bool = False) -> Doc:
    """The stored document of a version; ``user_written`` marks one written with a user's token
    (patient, guardian, clinician): such a version never counts as a fact of care (docs/auth.md)."""
    rtype, rid = resource["resourceType"], resource["id"]
    extracted = extract(resource)
    doc = {
        "_id": f"{rtype}/{rid}",
        "t": rtype,
        "id": rid,
        "vid": vid,
        "lu": updated,
        "m": method,
        "res": resource,
        "i": extracted.entries,
        "r": extracted.ranges,
        "s": extracted.sort,
        "cmp": extracted.compartments,
    }
    if user_written:
        doc["uw"] = True
    targets = linked_compartments.links(resource)
    if targets:
        doc["lk"] = targets
    return doc


def superseded(current: Doc) -> Doc:
    """The history record of a current document (or tombstone) that a new version replaces."""
    doc: Doc = {"_id": f"{current['t']}/{current['id']}/{current['vid']}", "t": current["t"], "id": current["id"],
                "vid": current["vid"], "lu": current["lu"], "m": current.get("m", "PUT")}
    if current.get("del"):
        doc["del"] = True
        doc["cmp"] = current.get("cmp", [])
    else:
        doc["res"] = current["res"]
        # Kept with the version: who may read it is decided by the compartments it had.
        doc["cmp"] = current.get("cmp", [])
        if "lk" in current:
            doc["lk"] = current["lk"]
    return doc


class ResourceStore:
    """Reads and versioned writes. Methods taking ``session`` run inside the caller's transaction."""

    def __init__(self, store: Store, cache: read_cache.ReadCache | None = None, *, user_writes: bool = False) -> None:
        self.store = store
        self.cache = cache
        self.user_writes = user_writes

    def written_by_user(self) -> ResourceStore:
        """This store for the writes of a user's token: what it stores is marked ``uw``."""
        return ResourceStore(self.store, self.cache, user_writes=True)

    # -- transactions -------------------------------------------------------------------
    def transaction(self, work: Callable[[ClientSession], T]) -> T:
        """Run ``work`` in one transaction; it is re-run whole on a transient write conflict."""
        with self.store.client.start_session() as session:
            _written[id(session)] = written = set()
            try:
                return session.with_transaction(lambda s: _raise_conflicts(work, s))
            finally:
                # After the commit (or its failure: it may still have committed), never before:
                # a reader that saw the new stamp must find the new version in the database.
                del _written[id(session)]
                read_cache.note_committed(self.store.db.name, written)

    # -- reads ---------------------------------------------------------------------------
    def current_for_read(self, rtype: str, rid: str) -> Doc | None:
        """``current`` outside any transaction, served from the read cache when it is still valid."""
        if self.cache is None:
            return self.current(rtype, rid)
        key = f"{rtype}/{rid}"
        return self.cache.get(key, lambda resources: resources.find_one({"_id": key}, HIDDEN))

    def current(self, rtype: str, rid: str, session: ClientSession | None = None) -> Doc | None:
        """The current document, a deletion tombstone included; None if never created."""
        # Index entries and sort keys serve MongoDB only: a read does not transfer them.
        return self.store.resources.find_one({"_id": f"{rtype}/{rid}"}, HIDDEN, session=session)

    def version(self, rtype: str, rid: str, vid: int, session: ClientSession | None = None) -> Doc | None:
        """One version: the current document if it is that version, else its history record."""
        current = self.store.resources.find_one({"_id": f"{rtype}/{rid}"}, HIDDEN, session=session)
        if current is None or current["vid"] < vid:
            return None
        if current["vid"] == vid:
            return current
        return self.store.history.find_one({"_id": f"{rtype}/{rid}/{vid}"}, session=session)

    def find(self, query: dict[str, Any], *, sort: list[tuple[str, int]] | None = None,
             limit: int = 0, projection: dict[str, int] | None = None,
             session: ClientSession | None = None, hint: str | None = None) -> list[Doc]:
        cursor = self.store.resources.find(query, projection or {"i": 0, "r": 0},
                                           session=session, limit=limit)
        if sort:
            cursor = cursor.sort(sort)
        if hint:
            cursor = cursor.hint(hint)
        return list(cursor)

    def count(self, query: dict[str, Any], session: ClientSession | None = None) -> int:
        return self.store.resources.count_documents(query, session=session)

    # -- writes --------------------------------------------------------------------------
    def create(self, resource: dict[str, Any], session: ClientSession, *, rid: str | None = None,
               method: str = "POST") -> Doc:
        """Store a new resource under a server-assigned id (any id in the body is replaced)."""
        body = dict(resource)
        body["id"] = rid or new_id()
        return self._write(body, 1, method, session, previous=None)

    def put(self, resource: dict[str, Any], session: ClientSession, *, if_match: int | None = None,
            method: str = "PUT") -> tuple[Doc, bool]:
        """Update, or create with the client's id. Returns the new document and whether it was created."""
        rtype, rid = resource["resourceType"], resource["id"]
        existing = self.current(rtype, rid, session)
        if if_match is not None and (existing is None or existing.get("del") or existing["vid"] != if_match):
            found = "no current version" if existing is None or existing.get("del") else f"version {existing['vid']}"
            raise VersionConflict(f"If-Match expected version {if_match} of {rtype}/{rid}, found {found}")
        vid = existing["vid"] + 1 if existing else 1
        created = existing is None or bool(existing.get("del"))
        doc = self._write(resource, vid, method, session, previous=existing)
        return doc, created

    def delete(self, rtype: str, rid: str, session: ClientSession) -> int | None:
        """Record a deletion; returns the deleted version's number, None if there was nothing to delete."""
        existing = self.current(rtype, rid, session)
        if existing is None or existing.get("del"):
            return None
        vid = existing["vid"] + 1
        # The tombstone stays in the compartments of what it deleted: the owners' history shows it.
        tombstone = {"_id": f"{rtype}/{rid}", "t": rtype, "id": rid, "vid": vid, "lu": now(), "m": "DELETE",
                     "del": True, "cmp": existing.get("cmp", [])}
        self._replace(existing, tombstone, session)
        return vid

    def _write(self, resource: dict[str, Any], vid: int, method: str, session: ClientSession,
               previous: Doc | None) -> Doc:
        sync_search_parameters(self.store)  # SearchParameters written elsewhere apply to this write
        updated = now()
        user_mark = self.user_writes and not _keeps_care_fact(previous, resource)
        doc = current_document(stamp_meta(resource, vid, updated), vid, updated, method, user_mark)
        self._link(doc, session)
        if previous is None:
            _note_write(session, doc["_id"])
            self.store.resources.insert_one(doc, session=session)
        else:
            self._replace(previous, doc, session)
        if _may_have_dependents(doc, previous, method):
            self._relink_dependents(doc["_id"], session)
        return doc

    # -- compartments taken from what a resource points at (linked_compartments) ----------
    def _link(self, doc: Doc, session: ClientSession | None, pending: dict[str, list[str]] | None = None) -> None:
        if "lk" in doc:
            linked, _ = linked_compartments.resolve(self.store.resources, doc["lk"], session, pending)
            doc["cmp"] = linked_compartments.merged(doc["cmp"], linked)

    def _relink_dependents(self, key: str, session: ClientSession, depth: int = 0) -> None:
        """Resources that follow ``key`` follow its new compartments (with their older versions that
        followed it too)."""
        if depth > MAX_LINK_DEPTH:
            return
        for dep in self.store.resources.find({"lk": key}, {"t": 1, "id": 1, "res": 1, "lk": 1, "cmp": 1},
                                             session=session):
            if self._relink(self.store.resources, dep, session):
                _note_write(session, dep["_id"])
                self._relink_dependents(dep["_id"], session, depth + 1)
            for old in self.store.history.find({"t": dep["t"], "id": dep["id"], "lk": key},
                                               {"res": 1, "lk": 1, "cmp": 1}, session=session):
                self._relink(self.store.history, old, session)

    def _relink(self, collection: Any, dep: Doc, session: ClientSession) -> bool:
        if "res" not in dep:
            return False  # a deletion keeps the compartments of what it deleted
        cmp, _ = linked_compartments.compartments_of(self.store.resources, dep["res"],
                                                     extract(dep["res"]).compartments, session)
        if cmp == dep.get("cmp"):
            return False
        collection.update_one({"_id": dep["_id"]}, {"$set": {"cmp": cmp}}, session=session)
        return True

    def _replace(self, previous: Doc, doc: Doc, session: ClientSession) -> None:
        """Move ``previous`` to history and put ``doc`` in its place, if nobody did so first.

        The history ``_id`` is unique per version, so a second writer that read the same version
        fails on the insert (or on the version check of the replace) and never overwrites.
        """
        self.store.history.insert_one(superseded(previous), session=session)
        _note_write(session, doc["_id"])
        result = self.store.resources.replace_one({"_id": doc["_id"], "vid": previous["vid"]}, doc, session=session)
        if result.matched_count != 1:
            raise VersionConflict(f"{doc['_id']} was changed by another request; retry with its new version")

    def insert_many_new(self, resources: Iterable[dict[str, Any]], session: ClientSession) -> list[Doc]:
        """Bulk path for creates with fresh server ids (transaction bundles full of POSTs)."""
        sync_search_parameters(self.store)
        updated = now()
        docs = [current_document(stamp_meta(resource, 1, updated), 1, updated, "POST", self.user_writes)
                for resource in resources]
        linking = [doc for doc in docs if "lk" in doc]
        if linking:
            # Links may point at resources of the same bundle (a Provenance at the Observations it
            # records, a Binary at its DocumentReference): resolve against them, chains included.
            pending = {doc["_id"]: doc["cmp"] for doc in docs}
            for _ in range(MAX_LINK_DEPTH):
                before = [list(doc["cmp"]) for doc in linking]
                for doc in linking:
                    self._link(doc, session, pending)
                    pending[doc["_id"]] = doc["cmp"]
                if before == [doc["cmp"] for doc in linking]:
                    break
        if docs:
            for doc in docs:
                _note_write(session, doc["_id"])
            self.store.resources.insert_many(docs, ordered=False, session=session)
        return docs


#: The elements of a care fact (an Encounter, EpisodeOfCare or CareTeam the clinic's systems recorded)
#: that decide whose care it records. A user's token that leaves them as they were (a note added to
#: an encounter) keeps the version a fact; one that changes them marks it ``uw`` (docs/auth.md).
CARE_ELEMENTS: dict[str, tuple[str, ...]] = {
    "Encounter": ("subject", "participant", "status"),
    "EpisodeOfCare": ("patient", "careManager", "team", "status"),
    "CareTeam": ("subject", "participant", "status"),
}


def _keeps_care_fact(previous: Doc | None, resource: dict[str, Any]) -> bool:
    """Whether a user's write replaces a registry care fact without touching what makes it one."""
    elements = CARE_ELEMENTS.get(resource.get("resourceType", ""))
    if not elements or previous is None or previous.get("del") or previous.get("uw"):
        return False
    old = previous.get("res") or {}
    return all(old.get(e) == resource.get(e) for e in elements)


def _may_have_dependents(doc: Doc, previous: Doc | None, method: str) -> bool:
    """Whether resources following ``doc`` may need their compartments resolved again.

    Only when its compartments changed; a Patient is followed without a lookup (it is its own
    compartment), and a server-assigned id (POST) is new to the world: nothing points at it yet.
    """
    if doc["t"] == "Patient" or (previous is None and method == "POST"):
        return False
    return doc["cmp"] != (previous.get("cmp", []) if previous is not None else [])


# Current documents each open transaction writes (by id of its session), stamped after the commit.
_written: dict[int, set[str]] = {}


def _note_write(session: ClientSession, key: str) -> None:
    written = _written.get(id(session))
    if written is None:
        raise RuntimeError("current documents are written only inside ResourceStore.transaction")
    written.add(key)


def _raise_conflicts(work: Callable[[ClientSession], T], session: ClientSession) -> T:
    try:
        return work(session)
    except DuplicateKeyError as exc:
        # Another writer created the same version first: report it as a conflict, never a 500.
        raise Conflict("The resource was written concurrently by another request; retry") from exc


HIDDEN = {"i": 0, "r": 0, "s": 0}
MAX_LINK_DEPTH = linked_compartments.MAX_LINK_DEPTH


def _all_versions(query: dict[str, Any]) -> list[dict[str, Any]]:
    """Pipeline head over every version: superseded ones in ``history``, current ones in ``resources``."""
    return [
        {"$match": query},
        {"$unionWith": {"coll": "resources", "pipeline": [{"$match": query}, {"$project": HIDDEN}]}},
    ]


def find_history(store: ResourceStore, query: dict[str, Any], sort: list[tuple[str, int]], limit: int,
                 session: ClientSession | None = None) -> list[Doc]:
    pipeline = [*_all_versions(query), {"$sort": dict(sort)}, {"$limit": limit}]
    return list(store.store.history.aggregate(pipeline, session=session))


def count_history(store: ResourceStore, query: dict[str, Any], session: ClientSession | None = None) -> int:
    return store.store.history.count_documents(query, session=session) + \
        store.store.resources.count_documents(query, session=session)


def history_at(store: ResourceStore, query: dict[str, Any], at: datetime, sort: list[tuple[str, int]],
               limit: int, session: ClientSession | None = None) -> list[Doc]:
    """The version of each resource that was current at ``at`` (``_at``, http.html#history)."""
    pipeline: list[dict[str, Any]] = [
        *_all_versions({"$and": [query, {"lu": {"$lte": at}}]}),
        {"$sort": {"t": 1, "id": 1, "vid": -1}},
        {"$group": {"_id": {"t": "$t", "id": "$id"}, "doc": {"$first": "$$ROOT"}}},
        {"$replaceRoot": {"newRoot": "$doc"}},
        {"$sort": dict(sort)},
        {"$limit": limit},
    ]
    return list(store.store.history.aggregate(pipeline, session=session))
