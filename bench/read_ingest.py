"""R1 (read-by-id throughput / fixed-body throughput) and R4 (transaction ingest / raw insert_many).

The machine is small and shared, so each ratio is the median of several rounds, each round taking
both sides back to back: R4 rounds ingest into a fresh database and a fresh server, R1 rounds
alternate the fixed body and the reads on one server after a warm-up of both (the first reads of
each worker fill its read cache; a long-running server has it filled). Run alone with
``python -m bench.read_ingest``.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pymongo import MongoClient

from bench.harness import balanced_throughput, median, mongod, server
from bench.shared_data import shared_dir


def eval_bundles() -> list[Path]:
    return sorted((shared_dir() / "data" / "synthea" / "eval").glob("*.json"))


def ingest_http(port: int, files: list[Path], clients: int = 2) -> tuple[int, float]:
    """Transaction ingest with ``clients`` concurrent uploaders (one per gunicorn worker), each
    bundle on a connection of its own: a keep-alive connection stays with the worker that accepted
    it, and both uploaders' connections landing on one worker would measure one worker."""
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(lambda chunk: _upload(port, chunk), [files[i::clients] for i in range(clients)]))
    return total, time.perf_counter() - start


def _upload(port: int, files: list[Path]) -> int:
    total = 0
    for path in files:
        body = path.read_bytes()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.request("POST", "/fhir", body=body, headers={"Content-Type": "application/fhir+json",
                                                           "Prefer": "return=minimal", "Connection": "close"})
        response = conn.getresponse()
        payload = response.read()
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"{path.name}: {response.status} {payload[:300]!r}")
        total += len(json.loads(body)["entry"])
    return total


def ingest_raw(uri: str, files: list[Path]) -> tuple[int, float]:
    client: MongoClient = MongoClient(uri)
    collection = client["bench_raw"]["resources"]
    collection.drop()
    total, start = 0, time.perf_counter()
    for path in files:
        with path.open("rb") as handle:
            resources = [e["resource"] for e in json.load(handle)["entry"]]
        collection.insert_many(resources)
        total += len(resources)
    elapsed = time.perf_counter() - start
    client.drop_database("bench_raw")
    return total, elapsed


def read_paths(uri: str, database: str, limit: int = 2000) -> list[str]:
    client: MongoClient = MongoClient(uri)
    docs = client[database]["resources"].find({"del": {"$ne": True}}, {"_id": 1}).limit(limit)
    return [f"/fhir/{d['_id']}" for d in docs]


def ingest_round(uri: str, files: list[Path]) -> tuple[str, float, float, int]:
    """One R4 round into a fresh database: raw insert_many, then HTTP transactions. Returns the
    database (left in place for the reads), both rates and the resource count."""
    database = f"bench_core_{uuid.uuid4().hex[:8]}"
    raw_n, raw_s = ingest_raw(uri, files)
    with server(uri, database) as port:
        http_n, http_s = ingest_http(port, files)
    return database, http_n / http_s, raw_n / raw_s, http_n


def read_rounds(port: int, paths: list[str], rounds: int,
                seconds: float = 2.0) -> tuple[list[tuple[float, float]], int]:
    """(read, fixed) requests per second of each round, after a warm-up of both sides, and the
    number of runs discarded because one worker held every connection."""
    balanced_throughput(port, paths, seconds)
    balanced_throughput(port, ["/bench/fixed"], 1.0)
    out, discarded = [], 0
    for _ in range(rounds):
        reads, d1 = balanced_throughput(port, paths, seconds)
        fixed, d2 = balanced_throughput(port, ["/bench/fixed"], seconds)
        out.append((reads, fixed))
        discarded += d1 + d2
    return out, discarded


def run(rounds: int = 3, read_rounds_count: int = 5) -> dict[str, float]:
    files = eval_bundles()
    with mongod() as uri:
        ingests = [ingest_round(uri, files) for _ in range(rounds)]
        database = ingests[-1][0]
        paths = read_paths(uri, database)
        with server(uri, database) as port:
            reads, discarded = read_rounds(port, paths, read_rounds_count)
        # For reference, not a goal: every read from MongoDB (the read cache off).
        with server(uri, database, extra_env={"FHIR_READ_CACHE_SIZE": "0"}) as port:
            uncached, _ = read_rounds(port, paths, 3)
        client: MongoClient = MongoClient(uri)
        for name, *_ in ingests:
            client.drop_database(name)
    return {"resources": ingests[-1][3],
            "ingest_per_s": median([i[1] for i in ingests]), "raw_per_s": median([i[2] for i in ingests]),
            "R4": median([i[1] / i[2] for i in ingests]), "R4_rounds": [round(i[1] / i[2], 3) for i in ingests],
            "read_per_s": median([r for r, _ in reads]), "fixed_per_s": median([f for _, f in reads]),
            "R1": median([r / f for r, f in reads]), "R1_rounds": [round(r / f, 3) for r, f in reads],
            "R1_discarded": discarded, "R1_uncached": median([r / f for r, f in uncached]),
            "read_uncached_per_s": median([r for r, _ in uncached])}


def report_lines(core: dict[str, float]) -> list[str]:
    return [
        f"R1 read-by-id / fixed body      = {core['R1']:.2f}  (goal >= 0.6)  "
        f"[{core['read_per_s']:.0f} vs {core['fixed_per_s']:.0f} req/s; rounds {core['R1_rounds']}, "
        f"{core['R1_discarded']} unbalanced runs discarded]",
        f"   (read cache off, for reference: {core['R1_uncached']:.2f}, {core['read_uncached_per_s']:.0f} req/s)",
        f"R4 transaction ingest / raw     = {core['R4']:.2f}  (goal >= 0.25) "
        f"[{core['ingest_per_s']:.0f} vs {core['raw_per_s']:.0f} resources/s, {core['resources']} resources; "
        f"rounds {core['R4_rounds']}]",
    ]


if __name__ == "__main__":
    print("\n".join(report_lines(run())))
