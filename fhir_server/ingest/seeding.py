"""``python -m fhir_server seed --patients N --seed S``: a synthetic population loaded into storage.

The generator (:mod:`seed_data`) yields one household at a time with its Bundles (mapped sources and
directly built FHIR); each household is merged into one transaction
(:func:`fhir_server.ingest.importer.merge_transactions`) and loaded through :func:`fhir_server.rest.dispatch`
like any other transaction, so the seed goes through the same validation and indexing as real data.
One transaction per household rather than per source document: a household shares its patients,
clinic and doctors across a few hundred entries, and the per-transaction cost dominates small
Bundles. Organisations and staff are loaded first, once.

Idempotence is kept per household rather than per entry: a household whose members' Patients (by
MHI number) all exist was loaded before (its transaction was atomic) and is skipped; in a household
none of whose members exists every record is new, so its entries go in as plain creates (one
``insert_many`` for the transaction) instead of conditional creates, which cost two searches and an
insert each. Only the resources households share (organisations, doctors) stay conditional. A
household partly there (the last one of a smaller population with the same seed, which was cut
short) is loaded with the mappers' conditional creates, which add only what is missing. Validation
is the same in every case.

With ``workers > 1`` households are generated and loaded by that many processes (each with its own
MongoDB connection): household ``i`` depends only on (seed, i), so any split gives the same data.
"""

from __future__ import annotations

import itertools
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from fhir_server.config import Settings
from fhir_server.ingest.importer import merge_transactions
from fhir_server.ingest.loader import LoadError, post_bundle
from fhir_server.rest import Context, FhirRequest
from fhir_server.routes import make_context
from fhir_server.storage.mongo import connect
from mappers import identifiers as ids
from seed_data import UNTIL, household_bundles, population, reference_bundle
from seed_data.people import Household

CHUNK = 8  # households per task handed to a worker process


@dataclass
class SeedReport:
    patients: int = 0
    households: int = 0
    resources: int = 0  # entries stored (or found, for shared ones) by the transactions
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.resources / self.seconds if self.seconds else 0.0


SHARED_TYPES = frozenset({"Organization", "Practitioner"})  # the only resources households share


def load_household(ctx: Context, home: Household, seed: int, until: date = UNTIL) -> int:
    """Generate, map and load one household as one transaction; returns its entry count (0: loaded before)."""
    present = _present(ctx, home)
    if present == len(home.members):
        return 0
    bundle = merge_transactions(household_bundles(home, seed, until))
    return post_bundle(ctx, as_new_records(bundle) if present == 0 else bundle,
                        Path(f"household {home.index} of seed {seed}"))


def as_new_records(bundle: dict[str, Any]) -> dict[str, Any]:
    """The transaction with plain creates for every entry but the shared resources'."""
    entries = []
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] not in SHARED_TYPES:
            entry = {**entry, "request": {"method": "POST", "url": entry["request"]["url"]}}
        entries.append(entry)
    return {**bundle, "entry": entries}


def _present(ctx: Context, home: Household) -> int:
    """How many of the household's members already have their Patient."""
    mhis = ",".join(f"{ids.MHI}|{p.mhi}" for p in home.members)
    response = ctx.dispatch(FhirRequest("GET", ["Patient"], params=[("identifier", mhis), ("_summary", "count")]))
    return int(response.resource["total"]) if response.resource else 0


def seed_population(ctx: Context, patients: int, seed: int, *, until: date = UNTIL, progress: bool = True,
                    workers: int = 1, context_factory: Callable[[], Context] | None = None) -> SeedReport:
    """Load ``patients`` people of population ``seed``; raises LoadError if the server refuses any."""
    report = SeedReport()
    start = time.perf_counter()
    report.resources += post_bundle(ctx, reference_bundle(), Path("organisations and staff"))
    with tqdm(total=patients, unit="patient", disable=not progress, smoothing=0.05) as bar:
        for people, resources in _run(ctx, patients, seed, until, workers, context_factory):
            report.patients += people
            report.households += 1
            report.resources += resources
            bar.update(people)
            elapsed = time.perf_counter() - start
            bar.set_postfix(resources=report.resources, per_s=f"{report.resources / elapsed:.0f}")
    report.seconds = time.perf_counter() - start
    return report


def worker_context(settings: Settings) -> Context:
    """A Context of its own for a worker process (a MongoClient must not cross a process boundary)."""
    assert settings.mongodb_uri
    return make_context(settings, connect(settings.mongodb_uri, settings.database))


def run_seed(ctx: Context, settings: Settings, patients: int, seed: int, workers: int = 1) -> int:
    """The ``seed`` command: load, print the figures; the exit status."""
    try:
        report = seed_population(ctx, patients, seed, workers=workers,
                                 context_factory=partial(worker_context, settings))
    except LoadError as exc:
        print(f"seed failed: {exc}", file=sys.stderr)
        return 1
    print(f"seeded {report.patients} patients in {report.households} households: {report.resources} resources "
          f"in {report.seconds:.1f} s ({report.rate:.0f} resources/s)")
    return 0


def _run(ctx: Context, patients: int, seed: int, until: date, workers: int,
         context_factory: Callable[[], Context] | None) -> Iterator[tuple[int, int]]:
    if workers <= 1 or context_factory is None:
        for home in population(patients, seed, until):
            yield len(home.members), load_household(ctx, home, seed, until)
        return
    tasks = _chunks(((h.index, len(h.members)) for h in population(patients, seed, until)), seed, until)
    with multiprocessing.get_context("spawn").Pool(workers, _init_worker, (context_factory,)) as pool:
        for results in pool.imap_unordered(_load_chunk, tasks):
            yield from results


Task = tuple[int, date, list[tuple[int, int]]]  # seed, until, [(household index, members to keep)]


def _chunks(homes: Iterator[tuple[int, int]], seed: int, until: date) -> Iterator[Task]:
    while chunk := list(itertools.islice(homes, CHUNK)):
        yield seed, until, chunk


_worker_ctx: Context | None = None


def _init_worker(factory: Callable[[], Context]) -> None:
    global _worker_ctx
    _worker_ctx = factory()


def _load_chunk(task: Task) -> list[tuple[int, int]]:
    from seed_data import household

    seed, until, homes = task
    assert _worker_ctx is not None
    out = []
    for index, size in homes:
        home = household(seed, index, until)
        home = Household(home.index, home.address, home.members[:size])
        out.append((size, load_household(_worker_ctx, home, seed, until)))
    return out
