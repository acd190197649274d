"""Shared bench plumbing: an embedded mongod, a gunicorn server, and an HTTP load generator."""

from __future__ import annotations

import contextlib
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

from fhir_server.storage.embedded_mongo import free_port, mongodb

REPO = Path(__file__).resolve().parents[1]
# Worker pids of each running bench server, by port (learnt from /bench/worker while waiting).
WORKERS: dict[int, set[int]] = {}


def mongod() -> contextlib.AbstractContextManager[str]:
    """``MONGODB_URI``, or a temporary embedded mongod."""
    return mongodb(os.environ.get("MONGODB_URI"))


@contextmanager
def server(uri: str, database: str, workers: int = 2, threads: int = 4,
           extra_env: dict[str, str] | None = None) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "MONGODB_URI": uri, "FHIR_DB_NAME": database, "FHIR_AUTH": "off",
           "FHIR_BASE_URL": f"http://127.0.0.1:{port}/fhir", **(extra_env or {})}
    # The server's own gunicorn settings and start-up hook (fhir_server.web.gunicorn_config), as in production.
    cmd = [sys.executable, "-m", "gunicorn", "-c", "python:fhir_server.web.gunicorn_config", "bench.fixed_app:app",
           "-b", f"127.0.0.1:{port}",
           "-w", str(workers), "-k", "gthread", "--threads", str(threads), "--log-level", "warning",
           "--graceful-timeout", "5"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env)
    try:
        _wait_ready(port, workers)
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


def _wait_ready(port: int, workers: int, timeout: float = 60) -> None:
    """Wait until every worker has answered: a measurement must not start with one worker up."""
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/worker")
            response = conn.getresponse()
            if response.status == 200:
                seen.add(response.read().decode())
                if len(seen) >= workers:
                    WORKERS[port] = {int(pid) for pid in seen}
                    return
            conn.close()
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start {workers} workers")


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
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]  # wrk always prints the rate


def cpu_ticks(pid: int) -> int:
    """User + system CPU of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def balanced_throughput(port: int, paths: list[str], seconds: float = 5.0, clients: int = 4,
                        attempts: int = 5) -> tuple[float, int]:
    """``throughput`` measured while every worker served. Keep-alive connections stay with the
    worker that accepted them, and now and then one worker accepts them all: such a run measures
    one worker, not the server, and is run again (up to ``attempts`` times). Returns the rate and
    how many runs were discarded."""
    pids = sorted(WORKERS.get(port, ()))
    for attempt in range(attempts):
        before = [cpu_ticks(pid) for pid in pids]
        rate = throughput(port, paths, seconds, clients)
        used = [cpu_ticks(pid) - b for pid, b in zip(pids, before, strict=True)]
        if len(used) < 2 or min(used) >= 0.25 * max(used):
            return rate, attempt
    return rate, attempts - 1


def median(values: list[float]) -> float:
    return statistics.median(values)
