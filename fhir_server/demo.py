"""Demo data for ``make run``: the Synthea bundles of ``../shared/data/synthea/dev``, loaded once."""

from __future__ import annotations

import logging

from fhir_server.loader import load_paths
from fhir_server.rest import Context
from fhir_server.shared_data import shared_dir
from fhir_server.storage import now

MARKER = "demo_loaded"


def load_demo_once(ctx: Context) -> None:
    """Load the demo bundles unless this database already holds them (a second run reuses data)."""
    meta = ctx.store.store.db["server_meta"]
    if meta.find_one({"_id": MARKER}):
        logging.info("demo data already loaded")
        return
    folder = shared_dir() / "data" / "synthea" / "dev"
    if not folder.is_dir():
        logging.warning("no demo data: %s is missing", folder)
        return
    report = load_paths(ctx, [folder])
    meta.insert_one({"_id": MARKER, "at": now(), "resources": report.resources})
    logging.info("demo data loaded: %d resources from %d files", report.resources, report.files)
