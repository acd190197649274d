"""R1 (read-by-id throughput / fixed-body throughput) and R4 (transaction ingest / raw insert_many)."""

from __future__ import annotations

import http.client
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pymongo import MongoClient

from bench.harness import mongod, server, throughput
from fhir_server.shared_data import shared_dir


def eval_bundles() -> list[Path]:
    return sorted((shared_dir() / "data" / "synthea" / "eval").glob("*.json"))


def ingest_http(port: int, files: list[Path], clients: int = 2) -> tuple[int, float]:
    """Transaction ingest with ``clients`` concurrent uploaders (one per gunicorn worker)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(lambda chunk: _upload(port, chunk), [files[i::clients] for i in range(clients)]))
    return total, time.perf_counter() - start


def _upload(port: int, files: list[Path]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    total = 0
    for path in files:
        body = path.read_bytes()
        conn.request("POST", "/fhir", body=body, headers={"Content-Type": "application/fhir+json",
                                                           "Prefer": "return=minimal"})
        response = conn.getresponse()
        payload = response.read()
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


def run() -> dict[str, float]:
    files = eval_bundles()
    database = f"bench_core_{uuid.uuid4().hex[:8]}"
    with mongod() as uri, server(uri, database) as port:
        raw_n, raw_s = ingest_raw(uri, files)
        http_n, http_s = ingest_http(port, files)
        raw_rate, http_rate = raw_n / raw_s, http_n / http_s
        paths = read_paths(uri, database)
        fixed = throughput(port, ["/bench/fixed"])
        reads = throughput(port, paths)
        MongoClient(uri).drop_database(database)
    return {"resources": http_n, "ingest_per_s": http_rate, "raw_per_s": raw_rate, "R4": http_rate / raw_rate,
            "read_per_s": reads, "fixed_per_s": fixed, "R1": reads / fixed}
