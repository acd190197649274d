"""gunicorn settings and start-up hook of the server: ``gunicorn -c python:fhir_server.gunicorn_config wsgi:app``.

``python -m fhir_server serve`` applies the same (fhir_server.server). The master builds once, before
it forks the workers, what every worker would otherwise build on its first requests: the route
table with every interaction module, the structure validators of every resource type and the
index-extraction plans. The workers inherit them (copy-on-write), so none of that lands on the
first requests a worker serves, and the objects built are frozen out of the cyclic collector,
which would otherwise walk them all on every full collection.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from typing import Any

log = logging.getLogger(__name__)

worker_class = "gthread"
workers = int(os.environ.get("FHIR_WORKERS", "2"))
threads = int(os.environ.get("FHIR_THREADS", "4"))
timeout = 120


def warm_up() -> None:
    """Import and build the per-process tables of the request path (about 2 s)."""
    from fhir_server import routes  # noqa: F401 - imports every interaction module
    from fhir_server.profiles.registry import emc_registry
    from fhir_server.resource_types import RESOURCE_TYPES
    from fhir_server.search.extract import plan
    from fhir_server.validation import warm_up as build_validators

    started = time.perf_counter()
    build_validators()
    for rtype in sorted(RESOURCE_TYPES):
        plan(rtype)
    emc_registry()
    gc.freeze()
    log.info("warmed up in %.1f s", time.perf_counter() - started)


def on_starting(server: Any) -> None:
    warm_up()
