"""A cache of current resources for ``read`` (docs/storage.md, "Read cache").

A read by id costs one MongoDB round trip, which on a small host costs more CPU than the rest of
the request. Each server process therefore keeps the documents it read recently, and serves one
again only while it provably is still the current version:

* **Writers on this host** (every worker, and the command-line loaders) share a table of write
  stamps in shared memory. A committed write gives each resource it changed a new stamp before
  the request answers; a cached entry is valid only while its resource's stamp is the one seen
  before the entry was read from the database. A client that wrote through one worker and reads
  through another therefore always sees its write.
* **Writers elsewhere** (other hosts, or anything writing to MongoDB directly) are seen through a
  change stream on ``resources`` that each process follows: every change evicts the entry. While
  the stream is not open, or lags by more than ``STALE_AFTER`` seconds, nothing is served from
  the cache, so a write made on another host shows within about that bound.

The cache holds storage documents (the resource and what the access policy needs), never a
decision: every hit still goes through the access policy like a database read.
"""

from __future__ import annotations

import logging
import mmap
import os
import random
import stat
import struct
import tempfile
import threading
import time
import weakref
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
from pymongo import ReadPreference
from pymongo.collection import Collection
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

Doc = dict[str, Any]

SHARED_SLOTS = 1 << 20  # 8 MiB of stamps; two resources sharing a slot only cost each other hits
LOCAL_SLOTS = 1 << 16
STALE_AFTER = 2.0  # seconds the change stream may lag before the cache stands aside
MAX_ENTRY_BYTES = 64 * 1024  # larger resources (a Binary, a Bundle) are read from MongoDB every time
AWAIT_MS = 250  # how long one getMore of the change stream waits for events
RETRY_AFTER = 1.0
_STAMP = struct.Struct("<Q")
CRUD = {"insert", "update", "replace", "delete"}


def key_hash(database: str, key: str) -> int:
    """Where a resource's stamps live: the same in every process (``hash()`` is salted per process)."""
    return zlib.crc32(f"{database}\0{key}".encode())


class StampTable:
    """Write stamps shared by every process of this host and user (a file in shared memory).

    A bump writes a fresh random 64-bit token rather than an increment: a slot never comes back
    to a value a reader saw, whatever the interleaving of writers (no lock, and processes that
    inherited the mapping across fork share it correctly). A read racing a bump may see a mix of
    both tokens' bytes; that value matches no captured token either, so it costs a miss at most.
    """

    def __init__(self, path: Path) -> None:
        # The file lives in a world-writable folder: never follow a link, and use only our own,
        # private file.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            info = os.fstat(fd)
            if info.st_uid != os.getuid() or info.st_mode & 0o077 or not stat.S_ISREG(info.st_mode):
                raise PermissionError(f"{path} is not a private file of this user")
            if info.st_size < SHARED_SLOTS * _STAMP.size:
                os.ftruncate(fd, SHARED_SLOTS * _STAMP.size)
            self._map = mmap.mmap(fd, SHARED_SLOTS * _STAMP.size)
        finally:
            os.close(fd)  # the mapping stays valid without the descriptor
        self.path = path

    def read(self, hashed: int) -> int:
        return _STAMP.unpack_from(self._map, (hashed & (SHARED_SLOTS - 1)) * _STAMP.size)[0]

    def bump(self, database: str, keys: Iterable[str]) -> None:
        for offset in {(key_hash(database, key) & (SHARED_SLOTS - 1)) * _STAMP.size for key in keys}:
            _STAMP.pack_into(self._map, offset, random.getrandbits(64))


_table: StampTable | None = None
_table_lock = threading.Lock()
_table_failed = False


def default_path() -> Path:
    folder = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())
    return folder / f"fhir-server-read-stamps-{os.getuid()}"


def stamps() -> StampTable | None:
    """This process's view of the host's stamp table; None (and no caching) if it cannot be opened."""
    global _table, _table_failed
    if _table is None and not _table_failed:
        with _table_lock:
            if _table is None and not _table_failed:
                path = Path(os.environ.get("FHIR_READ_STAMPS", "") or default_path())
                try:
                    _table = StampTable(path)
                except OSError as exc:
                    _table_failed = True
                    log.warning("read cache disabled: cannot open the stamp table %s: %s", path, exc)
    return _table


def note_committed(database: str, keys: Iterable[str]) -> None:
    """Called after every committed (or possibly committed) write of current documents."""
    table = stamps()
    if table is not None:
        table.bump(database, keys)


_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()  # a forked worker starts its own follower: threads do not survive fork


os.register_at_fork(after_in_child=_forked)


class ChangeFollower:
    """Follows the change stream of ``resources`` and evicts what it reports from one ReadCache.

    ``fresh()`` holds while the follower has applied every change committed up to less than
    ``STALE_AFTER`` seconds ago: an empty answer from the server means caught up to when it was
    asked, an event means caught up to the event's own time (``wallTime``, on the same clocks
    that NTP keeps in step), so a follower working through a backlog is not fresh.
    """

    def __init__(self, cache: ReadCache) -> None:
        self._cache = weakref.ref(cache)
        self._collection = cache.collection
        self.pid = _pid
        self.open = False
        self.caught_up = 0.0  # time.time() up to which every change has been applied
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="read-cache-follower", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def fresh(self) -> bool:
        return self.open and time.time() - self.caught_up < STALE_AFTER

    def _run(self) -> None:
        while not self.stopped.is_set() and self._cache() is not None:
            try:
                if not self._follow():
                    return
            except Exception as exc:  # noqa: BLE001 - the follower must outlive any error
                log.warning("read cache: change stream failed (%s); reopening", exc,
                            exc_info=not isinstance(exc, PyMongoError))
            self._reset()
            self.stopped.wait(RETRY_AFTER)

    def _follow(self) -> bool:
        """Follow one stream; False when the collection is gone or the cache was dropped."""
        pipeline = [{"$project": {"operationType": 1, "documentKey": 1, "wallTime": 1}}]
        asked = time.time()
        with self._collection.watch(pipeline, max_await_time_ms=AWAIT_MS) as stream:
            self._opened(asked)
            while not self.stopped.is_set():
                asked = time.time()
                if not self._apply(stream.try_next(), asked):
                    return False
        return False

    def _apply(self, event: Doc | None, asked: float) -> bool:
        """Evict what one event changed; False when following must end."""
        cache = self._cache()  # a weak reference: a dropped cache ends its follower
        if cache is None:
            return False
        if event is None:
            self.caught_up = asked  # the server had nothing newer when asked
            return True
        if event["operationType"] not in CRUD:
            # drop, rename, dropDatabase, invalidate: nothing cached is known to hold.
            self._reset()
            return False
        cache.evict(event["documentKey"]["_id"])
        wall = event.get("wallTime")
        if wall is not None:
            self.caught_up = max(self.caught_up, min(wall.timestamp(), time.time()))
        return True

    def _opened(self, asked: float) -> None:
        cache = self._cache()
        if cache is not None:
            cache.flush()
        self.caught_up = asked
        self.open = True

    def _reset(self) -> None:
        self.open = False
        cache = self._cache()
        if cache is not None:
            cache.flush()


class ReadCache:
    """Recently read current documents of one database, for this process (LRU, ``size`` entries;
    documents whose resource is larger than ``MAX_ENTRY_BYTES`` of JSON are not kept)."""

    def __init__(self, collection: Collection, size: int, table: StampTable) -> None:
        # A cached read must come from the primary: a lagging secondary's answer would be kept.
        self.collection = collection.with_options(read_preference=ReadPreference.PRIMARY)
        self.database = collection.database.name
        self.size = size
        self._table = table
        self._entries: OrderedDict[str, tuple[int, int, int, Doc | None]] = OrderedDict()
        self._local = array("Q", bytes(8 * LOCAL_SLOTS))
        self._generation = 0
        self._lock = threading.Lock()
        self._follower: ChangeFollower | None = None
        self._closed = False

    def get(self, key: str, load: Callable[[Collection], Doc | None]) -> Doc | None:
        """The current document of ``key`` ("Type/id"): from the cache if still valid, else
        ``load(collection)`` (with the primary read preference)."""
        if self._closed:
            return load(self.collection)
        if not self.follower().fresh():
            return load(self.collection)
        hashed = key_hash(self.database, key)
        seen = (self._table.read(hashed), self._local[hashed & (LOCAL_SLOTS - 1)], self._generation)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[:3] == seen:
                self._entries.move_to_end(key)
                return entry[3]
        # Stamps were taken before the database read: a write committed after them changes
        # one of them, so the entry stored below is never served past that write.
        doc = load(self.collection)
        if doc is None or len(orjson.dumps(doc.get("res"))) <= MAX_ENTRY_BYTES:
            self._store(key, seen, doc)
        return doc

    def _store(self, key: str, seen: tuple[int, int, int], doc: Doc | None) -> None:
        with self._lock:
            self._entries[key] = (*seen, doc)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def evict(self, key: str) -> None:
        with self._lock:
            self._local[key_hash(self.database, key) & (LOCAL_SLOTS - 1)] += 1
            self._entries.pop(key, None)

    def flush(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def close(self) -> None:
        """Stop following and serve nothing more from the cache."""
        self._closed = True
        if self._follower is not None:
            self._follower.stopped.set()
        self.flush()

    def __len__(self) -> int:
        return len(self._entries)

    def follower(self) -> ChangeFollower:
        """The change-stream follower of this process, started if it is not running."""
        follower = self._follower
        if follower is None or follower.pid != _pid or not follower.thread.is_alive():
            with self._lock:
                follower = self._follower
                if follower is None or follower.pid != _pid or not follower.thread.is_alive():
                    follower = self._follower = ChangeFollower(self)
                    follower.start()
        return follower


def make(collection: Collection, size: int) -> ReadCache | None:
    """A read cache for ``collection``, or None when ``size`` is 0 or the stamp table is unavailable."""
    table = stamps() if size > 0 else None
    return ReadCache(collection, size, table) if table is not None else None
