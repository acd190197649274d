"""Shared bench plumbing: an embedded mongod, a gunicorn server, and an HTTP load generator."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing import Pool
from pathlib import Path

from fhir_server.embedded_mongo import EmbeddedMongo, free_port

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def mongod() -> Iterator[str]:
    uri = os.environ.get("MONGODB_URI")
    if uri:
        yield uri
        return
    with tempfile.TemporaryDirectory(prefix="fhir-bench-") as folder:
        mongo = EmbeddedMongo(Path(folder))
        try:
            yield mongo.start()
        finally:
            mongo.stop()


@contextmanager
def server(uri: str, database: str, workers: int = 2, threads: int = 4) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "MONGODB_URI": uri, "FHIR_DB_NAME": database, "FHIR_AUTH": "off",
           "FHIR_BASE_URL": f"http://127.0.0.1:{port}/fhir"}
    cmd = [sys.executable, "-m", "gunicorn", "bench.fixed_app:app", "-b", f"127.0.0.1:{port}",
           "-w", str(workers), "-k", "gthread", "--threads", str(threads), "--log-level", "warning", "--graceful-timeout", "5"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env)
    try:
        _wait_ready(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


def _wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/fixed")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def _client(args: tuple[int, list[str], float]) -> int:
    port, paths, seconds = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done, i = 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn.request("GET", paths[i % len(paths)], headers={"Accept": "application/fhir+json"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {paths[i % len(paths)]} -> {response.status}")
        done += 1
        i += 1
    return done


def throughput(port: int, paths: list[str], seconds: float = 5.0, clients: int = 4) -> float:
    """Requests per second over ``clients`` keep-alive connections: wrk when installed (a C client
    leaves the two cores to the server), else Python clients in separate processes."""
    if shutil.which("wrk"):
        return _wrk(port, paths, seconds, clients)
    chunks = [paths[i::clients] or paths for i in range(clients)]
    with Pool(clients) as pool:
        counts = pool.map(_client, [(port, chunk, seconds) for chunk in chunks])
    return sum(counts) / seconds


def _wrk(port: int, paths: list[str], seconds: float, clients: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths))
    script = Path(__file__).with_name("paths.lua")
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(clients), "-d", f"{int(seconds)}s", "-s", str(script), f"http://127.0.0.1:{port}"],
        env={**os.environ, "WRK_PATHS": listing.name}, capture_output=True, text=True, check=True).stdout
    os.unlink(listing.name)
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def median(values: list[float]) -> float:
    return statistics.median(values)
