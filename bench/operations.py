"""O1 and O2: ``$everything`` and ``$summary`` latency against the raw pymongo fetch of the same documents.

The data: the 52 Synthea eval bundles loaded through HTTP transactions. The patient is the one
whose compartment is closest to 300 resources. Each operation is requested ``ROUNDS`` times
through HTTP (gunicorn, one keep-alive connection, after a warm-up), alternating with the raw
query: for ``$everything`` ``find({"cmp": id}, {"res": 1})``, for ``$summary`` ``find({"_id":
{"$in": [the ids in the summary]}}, {"res": 1})``. Reported: median and p95 of each, and the
ratio of the medians (goal for ``$everything``: median <= 50 ms).

    python -m bench.operations
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from pymongo import MongoClient

from bench.harness import mongod, server
from bench.read_ingest import eval_bundles, ingest_http

DATABASE = "bench_operations"
ROUNDS = 60
WARM_UP = 5
TARGET = 300


def _get(conn: http.client.HTTPConnection, path: str) -> bytes:
    conn.request("GET", path, headers={"Accept": "application/fhir+json"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path} -> {response.status} {body[:300]!r}")
    return body


def _timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def pick_patient(client: MongoClient) -> tuple[str, int]:
    """The patient whose compartment size is closest to ``TARGET``."""
    sizes = client[DATABASE]["resources"].aggregate([
        {"$match": {"del": {"$ne": True}}}, {"$unwind": "$cmp"}, {"$group": {"_id": "$cmp", "n": {"$sum": 1}}}])
    best = min(sizes, key=lambda row: abs(row["n"] - TARGET))
    return best["_id"], best["n"]


def measure(port: int, path: str, raw: Callable[[], Any]) -> dict[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(WARM_UP):
        _get(conn, path)
        raw()
    http_ms, raw_ms = [], []
    for _ in range(ROUNDS):
        http_ms.append(_timed(lambda: _get(conn, path)))
        raw_ms.append(_timed(raw))
    return {"median": statistics.median(http_ms), "p95": _p95(http_ms),
            "raw_median": statistics.median(raw_ms), "raw_p95": _p95(raw_ms)}


def run() -> dict[str, Any]:
    with mongod() as uri:
        MongoClient(uri).drop_database(DATABASE)  # before the server starts: it creates the indexes
        with server(uri, DATABASE) as port:
            return _run(uri, port)


def _run(uri: str, port: int) -> dict[str, Any]:
    client: MongoClient = MongoClient(uri)
    ingest_http(port, eval_bundles())
    patient, size = pick_patient(client)
    resources = client[DATABASE]["resources"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    summary = json.loads(_get(conn, f"/fhir/Patient/{patient}/$summary"))
    stored = [e["fullUrl"].split("/fhir/")[1] for e in summary["entry"] if "/fhir/" in e["fullUrl"]]
    everything = measure(port, f"/fhir/Patient/{patient}/$everything",
                         lambda: list(resources.find({"cmp": patient}, {"res": 1})))
    summary_times = measure(port, f"/fhir/Patient/{patient}/$summary",
                            lambda: list(resources.find({"_id": {"$in": stored}}, {"res": 1})))
    client.drop_database(DATABASE)
    return {"patient_resources": size, "summary_resources": len(stored),
            "everything": everything, "summary": summary_times}


def report_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    for key, label, count, goal in (
            ("everything", "O1 $everything", result["patient_resources"], "  (goal: median <= 50 ms)"),
            ("summary", "O2 $summary   ", result["summary_resources"], "")):
        m = result[key]
        lines.append(f"{label} median/raw      = {m['median'] / m['raw_median']:.1f}x "
                     f"[median {m['median']:.1f} ms, p95 {m['p95']:.1f} ms; raw pymongo median "
                     f"{m['raw_median']:.1f} ms, p95 {m['raw_p95']:.1f} ms; {count} resources]{goal}")
    return lines


def report() -> None:
    print("\n".join(report_lines(run())))


if __name__ == "__main__":
    report()
