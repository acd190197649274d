"""S1 and S2: the synthetic population's generator and import pipeline, in resources per second.

S1 is the generator alone (households -> source documents -> mappers -> merged transaction
Bundles, no database) against the import pipeline of the same households (S2: the same work plus
loading through dispatch into a real mongod). Both are set beside raw ``insert_many`` of the very
same resources, the ceiling any loader of these documents has on this machine (docs/benchmarks.md).
Run alone with ``python -m bench.seed [PATIENTS]``.
"""

from __future__ import annotations

import sys
import time

from pymongo import MongoClient

from bench.harness import mongod
from fhir_server.config import Settings
from fhir_server.ingest.importer import merge_transactions
from fhir_server.ingest.seeding import seed_population
from fhir_server.routes import make_context
from fhir_server.storage.mongo import connect, ensure_indexes
from seed_data import generate

PATIENTS = 100
SEED = 2024


def generator_rate(patients: int) -> tuple[int, float, list[list[dict]]]:
    """Resources per second of generation + mapping + merging; keeps the resources for the raw insert."""
    start = time.perf_counter()
    total, households = 0, []
    for _, bundles in generate(patients, SEED):
        merged = merge_transactions(bundles)
        total += len(merged["entry"])
        households.append([e["resource"] for e in merged["entry"]])
    return total, time.perf_counter() - start, households


def raw_rate(uri: str, households: list[list[dict]]) -> float:
    client: MongoClient = MongoClient(uri)
    collection = client["bench_seed_raw"]["resources"]
    start = time.perf_counter()
    count = 0
    for resources in households:
        collection.insert_many([dict(r) for r in resources])
        count += len(resources)
    elapsed = time.perf_counter() - start
    client.drop_database("bench_seed_raw")
    return count / elapsed


def run(patients: int = PATIENTS) -> dict[str, float]:
    generated, gen_seconds, households = generator_rate(patients)
    with mongod() as uri:
        store = connect(uri, "bench_seed")
        store.client.drop_database("bench_seed")
        ensure_indexes(store)
        ctx = make_context(Settings(mongodb_uri=uri), store)
        report = seed_population(ctx, patients, SEED, progress=False)
        raw = raw_rate(uri, households)
        store.client.drop_database("bench_seed")
    gen = generated / gen_seconds
    return {"patients": patients, "resources": report.resources, "generator_per_s": gen,
            "pipeline_per_s": report.rate, "raw_per_s": raw, "S1": gen / raw, "S2": report.rate / raw}


def report_lines(figures: dict[str, float]) -> list[str]:
    return [
        f"S1 seed generator / raw insert  = {figures['S1']:.2f}               "
        f"[{figures['generator_per_s']:.0f} vs {figures['raw_per_s']:.0f} resources/s]",
        f"S2 seed import pipeline / raw   = {figures['S2']:.2f}               "
        f"[{figures['pipeline_per_s']:.0f} vs {figures['raw_per_s']:.0f} resources/s, "
        f"{figures['patients']:.0f} patients, {figures['resources']:.0f} resources]",
    ]


if __name__ == "__main__":
    print("\n".join(report_lines(run(int(sys.argv[1]) if len(sys.argv) > 1 else PATIENTS))))
