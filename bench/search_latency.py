"""R2 and R3: search latency against its raw query, and at 64x the data against 1x.

- R2 = p50 latency of ``Observation?patient=X&code=Y&_sort=-date&_count=10`` through HTTP /
  p50 of the raw pymongo query it compiles to (``find(filter).sort(sort).limit(11)``, the page
  plus one row to know whether there is a next page), same data, same run, alternately.
- R3 = p95 of a mix of patient-scoped searches through HTTP with 64x the data / with 1x: two
  databases on one mongod, one server each, requests alternated between them; the ratio is the
  median of 5 blocks' p95 ratios (the p95 over all samples is printed beside it).

The data: the Synthea eval bundles (52 patients, 10 241 resources), references resolved, each
resource stored as :func:`fhir_server.storage.store.current_document` builds it. Copy ``k`` of the set
rewrites every UUID (ids and the references to them) with a prefix of its own, on the BSON bytes
(the ids keep their length, so the documents stay valid), so 64 copies are 64 disjoint
populations of the same shape. Copy 0 keeps the original ids and lives in both databases: the
searches ask for its patients. Indexes are built after the bulk insert.

    python -m bench.search_latency [--copies 64] [--keep]
"""

from __future__ import annotations

import http.client
import json
import re
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import bson
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from pymongo.collection import Collection

from bench.harness import mongod, server
from bench.shared_data import shared_dir
from fhir_server.search.compile import compile_search
from fhir_server.search.indexes import INDEXES
from fhir_server.storage.store import current_document

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
START = datetime(2024, 1, 1, tzinfo=UTC)
DB_1X, DB_NX = "bench_search_1x", "bench_search_nx"


def _rewrite(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: ids.get(v, v) if k == "reference" and isinstance(v, str) else _rewrite(v, ids)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, ids) for v in value]
    return value


def eval_resources() -> list[dict[str, Any]]:
    """The eval bundles' resources with ``urn:uuid`` references made ``Type/id``, each once."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((shared_dir() / "data" / "synthea" / "eval").glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        ids = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
        for entry in bundle["entry"]:
            out.setdefault(ids[entry["fullUrl"]], _rewrite(entry["resource"], ids))
    return list(out.values())


def prepared(resources: list[dict[str, Any]]) -> list[bytes]:
    """Each resource as the BSON bytes of its stored document (docs/storage.md)."""
    docs = []
    for n, resource in enumerate(resources):
        docs.append(bson.encode(current_document(resource, 1, START + timedelta(seconds=n), "POST")))
    return docs


def copy_of(raw: bytes, k: int) -> bytes:
    if k == 0:
        return raw
    prefix = f"c{k:07x}".encode()
    return UUID.sub(lambda m: prefix + m.group()[8:], raw)


def load(collection: Collection, docs: list[bytes], copies: int, batch: int = 2000) -> None:
    collection.drop()
    for k in range(copies):
        chunk: list[RawBSONDocument] = []
        for raw in docs:
            chunk.append(RawBSONDocument(copy_of(raw, k)))
            if len(chunk) >= batch:
                collection.insert_many(chunk, ordered=False)
                chunk = []
        if chunk:
            collection.insert_many(chunk, ordered=False)
        if copies > 8 and (k + 1) % 8 == 0:
            print(f"  copy {k + 1}/{copies}", file=sys.stderr, flush=True)
    collection.create_indexes(INDEXES)


def sizes(client: MongoClient, database: str) -> dict[str, float]:
    stats = client[database].command("collstats", "resources")
    return {"documents": stats["count"], "data_mb": stats["size"] / 2**20,
            "storage_mb": stats["storageSize"] / 2**20, "index_mb": stats["totalIndexSize"] / 2**20}


# -- the searches ---------------------------------------------------------------------------
def hot_searches(resources: list[dict[str, Any]], patients: int = 12) -> list[list[tuple[str, str]]]:
    """``Observation?patient=X&code=Y&_sort=-date&_count=10`` for patients with most observations,
    Y their most frequent code."""
    per_patient: dict[str, Counter[str]] = {}
    for r in resources:
        if r["resourceType"] == "Observation":
            coding = r["code"]["coding"][0]
            counts = per_patient.setdefault(r["subject"]["reference"][8:], Counter())
            counts[f"{coding['system']}|{coding['code']}"] += 1
    chosen = sorted(per_patient, key=lambda p: -sum(per_patient[p].values()))[:patients]
    return [[("patient", p), ("code", per_patient[p].most_common(1)[0][0]), ("_sort", "-date"), ("_count", "10")]
            for p in chosen]


def mix(resources: list[dict[str, Any]], patients: int = 12) -> list[tuple[str, list[tuple[str, str]]]]:
    """A mix of patient-scoped searches an ambulance crew or a patient app makes."""
    ids = [p for p in (r["id"] for r in resources if r["resourceType"] == "Patient")][:patients]
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for pid, hot in zip(ids, hot_searches(resources, patients), strict=False):
        out += [
            ("Observation", hot),
            ("Observation", [("patient", pid), ("category", "laboratory"), ("date", "ge2015"), ("_count", "20")]),
            ("Condition", [("patient", pid), ("clinical-status", "active")]),
            ("AllergyIntolerance", [("patient", pid)]),
            ("Encounter", [("patient", pid), ("_sort", "-date"), ("_count", "10")]),
            ("MedicationRequest", [("patient", pid), ("status", "active")]),
            ("DiagnosticReport", [("patient", pid), ("_sort", "-date"), ("_count", "5")]),
            ("Immunization", [("patient", pid), ("_count", "20")]),
        ]
    return out


def _get(conn: http.client.HTTPConnection, path: str) -> float:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Accept": "application/fhir+json"})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"GET {path} -> {response.status} {body[:300]!r}")
    return elapsed


def _raw(collection: Collection, rtype: str, params: list[tuple[str, str]]) -> float:
    compiled = compile_search(rtype, params)
    size = compiled.count or 50
    started = time.perf_counter()
    list(collection.find(compiled.filter, {"i": 0, "r": 0}).sort([*compiled.sort]).limit(size + 1))
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def measure_r2(port: int, collection: Collection, searches: list[list[tuple[str, str]]],
               rounds: int = 30) -> tuple[float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    paths = [f"/fhir/Observation?{urlencode(s)}" for s in searches]
    http_times, raw_times = [], []
    for path, params in zip(paths, searches, strict=True):  # warm both
        _get(conn, path)
        _raw(collection, "Observation", params)
    for _ in range(rounds):
        for path, params in zip(paths, searches, strict=True):
            http_times.append(_get(conn, path))
            raw_times.append(_raw(collection, "Observation", params))
    return statistics.median(http_times), statistics.median(raw_times)


def measure_r3(port_1x: int, port_nx: int, searches: list[tuple[str, list[tuple[str, str]]]],
               blocks: int = 5, rounds: int = 5) -> tuple[float, float, float]:
    """p95 at 1x, p95 at Nx (over every sample), and the median over ``blocks`` of the per-block
    p95 ratio: the machine is shared, and a burst of outside load should not decide the ratio."""
    one = http.client.HTTPConnection("127.0.0.1", port_1x, timeout=30)
    many = http.client.HTTPConnection("127.0.0.1", port_nx, timeout=30)
    paths = [f"/fhir/{rtype}?{urlencode(params)}" for rtype, params in searches]
    for _ in range(2):  # warm both
        for path in paths:
            _get(one, path)
            _get(many, path)
    all_1x, all_nx, ratios = [], [], []
    for _ in range(blocks):
        times_1x, times_nx = [], []
        for n in range(rounds):
            for path in paths:  # alternate which database is asked first
                first, second = ((one, times_1x), (many, times_nx)) if n % 2 else ((many, times_nx), (one, times_1x))
                first[1].append(_get(first[0], path))
                second[1].append(_get(second[0], path))
        ratios.append(percentile(times_nx, 95) / percentile(times_1x, 95))
        all_1x += times_1x
        all_nx += times_nx
    return percentile(all_1x, 95), percentile(all_nx, 95), statistics.median(ratios)


def examined(collection: Collection, searches: list[tuple[str, list[tuple[str, str]]]]) -> int:
    """Index keys the mix examines, as the service runs it (patient-scoped: the compartment hint):
    the same number at 64x as at 1x is flatness by construction, whatever the timing noise."""
    keys = 0
    for rtype, params in searches:
        compiled = compile_search(rtype, params)
        cursor = collection.find(compiled.filter).sort(compiled.sort).limit((compiled.count or 50) + 1)
        if compiled.patient_scope:
            cursor = cursor.hint("compartment")
        keys += cursor.explain()["executionStats"]["totalKeysExamined"]
    return keys


def run(copies: int = 64, keep: bool = False) -> dict[str, Any]:
    resources = eval_resources()
    docs = prepared(resources)
    with mongod() as uri:
        client: MongoClient = MongoClient(uri)
        started = time.perf_counter()
        load(client[DB_1X]["resources"], docs, 1)
        load(client[DB_NX]["resources"], docs, copies)
        load_seconds = time.perf_counter() - started
        size_1x, size_nx = sizes(client, DB_1X), sizes(client, DB_NX)
        keys = (examined(client[DB_1X]["resources"], mix(resources)),
                examined(client[DB_NX]["resources"], mix(resources)))
        with server(uri, DB_1X) as port_1x, server(uri, DB_NX) as port_nx:
            r2_http, r2_raw = measure_r2(port_nx, client[DB_NX]["resources"], hot_searches(resources))
            p95_1x, p95_nx, r3 = measure_r3(port_1x, port_nx, mix(resources))
        if not keep:
            client.drop_database(DB_1X)
            client.drop_database(DB_NX)
    return {"copies": copies, "load_s": load_seconds, "size_1x": size_1x, "size_nx": size_nx,
            "r2_http_ms": r2_http * 1000, "r2_raw_ms": r2_raw * 1000, "R2": r2_http / r2_raw,
            "p95_1x_ms": p95_1x * 1000, "p95_nx_ms": p95_nx * 1000, "R3": r3, "keys": keys}


def report_lines(result: dict[str, Any]) -> list[str]:
    return [
        f"R2 search HTTP / raw query      = {result['R2']:.2f}  (goal <= 3)   "
        f"[p50 {result['r2_http_ms']:.2f} vs {result['r2_raw_ms']:.2f} ms, {result['copies']}x data]",
        f"R3 search p95 {result['copies']}x / 1x data    = {result['R3']:.2f}  (goal <= 1.3) "
        f"[p95 {result['p95_nx_ms']:.2f} vs {result['p95_1x_ms']:.2f} ms; "
        f"{result['size_nx']['documents']} vs {result['size_1x']['documents']} documents, "
        f"{result['size_nx']['data_mb']:.0f} MB data ({result['size_nx']['storage_mb']:.0f} MB on disk) + "
        f"{result['size_nx']['index_mb']:.0f} MB indexes, loaded in {result['load_s']:.0f} s; "
        f"index keys examined by the mix: {result['keys'][1]} vs {result['keys'][0]}]",
    ]


def main(argv: list[str]) -> None:
    copies = int(argv[argv.index("--copies") + 1]) if "--copies" in argv else 64
    print("\n".join(report_lines(run(copies, keep="--keep" in argv))))


if __name__ == "__main__":
    main(sys.argv[1:])
