"""Demo data for ``make run``: a small synthetic Moscow population (:mod:`seed_data`), loaded once.

200 people in about 80 households (families with children under 15 and teenagers, with guardian
links; the elderly with chronic diseases...), each with a card since 2017 written in the source
formats and loaded through the mappers: about 32,000 resources in about 35 s on this 2-core machine.
The seed is fixed, so every demo database holds the same people (docs/seed_data.md).
"""

from __future__ import annotations

import logging

from fhir_server.rest import Context
from fhir_server.storage.store import now

MARKER = "demo_loaded"
DEMO_PATIENTS = 200
DEMO_SEED = 1


def load_demo_once(ctx: Context) -> None:
    """Load the demo population unless this database already holds it (a second run reuses data)."""
    from fhir_server.ingest.seeding import seed_population  # imported late: the generator is only needed once

    meta = ctx.store.store.db["server_meta"]
    if meta.find_one({"_id": MARKER}):
        logging.info("demo data already loaded")
        return
    logging.info("loading the demo population: %d patients, seed %d", DEMO_PATIENTS, DEMO_SEED)
    report = seed_population(ctx, DEMO_PATIENTS, DEMO_SEED)
    meta.insert_one({"_id": MARKER, "at": now(), "resources": report.resources, "patients": report.patients,
                     "seed": DEMO_SEED})
    logging.info("demo data loaded: %d patients, %d resources in %.0f s", report.patients, report.resources,
                 report.seconds)
