"""gunicorn settings and start-up hook of the server: ``gunicorn -c python:fhir_server.web.gunicorn_config wsgi:app``.

``python -m fhir_server serve`` applies the same (fhir_server.web.server). The master builds once, before
it forks the workers, what every worker would otherwise build on its first requests: the route
table with every interaction module, the structure validators of every resource type and the
index-extraction plans. The workers inherit them (copy-on-write), so none of that lands on the
first requests a worker serves, and the objects built are frozen out of the cyclic collector,
which would otherwise walk them all on every full collection.

``FHIR_AUTH=off`` serves every card without a token, so it is allowed on loopback only. The
``--bind`` given to gunicorn decides where it listens, not ``FHIR_HOST``, so the check runs where
the sockets are bound: once they are (``when_ready``, and again after a ``SIGHUP`` reload), the
master halts with status 2, before any worker serves a request, when authorization is off and any
listener is not a loopback TCP address (a Unix socket included: whoever proxies it decides who
reaches it). This is the early check; the app refuses non-loopback clients itself as well
(fhir_server.web.loopback_only), for gunicorn run without this module and any other WSGI server.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import os
import time
from typing import Any

from fhir_server.web.gunicorn_worker import HEADER_FIELD_LIMIT

EXIT_CONFIGURATION = 2  # as ``python -m fhir_server`` exits on a configuration error

log = logging.getLogger(__name__)

# gthread, answering gunicorn's own parse errors with an OperationOutcome and reading request lines
# up to 32 KiB (gunicorn alone stops at 8190 bytes); see fhir_server.web.gunicorn_worker.
worker_class = "fhir_server.web.gunicorn_worker.FhirThreadWorker"
workers = int(os.environ.get("FHIR_WORKERS", "2"))
threads = int(os.environ.get("FHIR_THREADS", "4"))
timeout = 120
# Request lines: the worker's REQUEST_LINE_LIMIT (32 KiB; gunicorn caps this setting at 8190).
limit_request_line = 8190
limit_request_field_size = HEADER_FIELD_LIMIT  # one header line, 16 KiB (gunicorn: 8190)
limit_request_fields = 100  # headers per request, gunicorn's default


def warm_up() -> None:
    """Import and build the per-process tables of the request path (about 2 s)."""
    from fhir_server import routes  # noqa: F401 - imports every interaction module
    from fhir_server.profiles.registry import emc_registry
    from fhir_server.search.extract import plan
    from fhir_server.spec.resource_types import RESOURCE_TYPES
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


def _loopback(listener: Any) -> bool:
    """Whether a bound listener is reachable from this host only."""
    try:
        address = listener.sock.getsockname()
    except OSError:
        return False
    if not isinstance(address, tuple):
        return False  # a Unix socket
    try:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


def refuse_open_listeners(server: Any, auth_enabled: bool) -> None:
    """Halt the gunicorn master when authorization is off and it listens beyond loopback."""
    if auth_enabled:
        return
    exposed = [str(listener) for listener in server.LISTENERS if not _loopback(listener)]
    if exposed:
        server.halt(reason=f"FHIR_AUTH=off is only allowed when every listener is on loopback; refusing to serve "
                           f"every card without a token on {', '.join(exposed)} (bind to 127.0.0.1 or set "
                           f"FHIR_AUTH=on)", exit_status=EXIT_CONFIGURATION)


def when_ready(server: Any) -> None:
    from fhir_server.config import from_env

    refuse_open_listeners(server, from_env().auth_enabled)


def on_reload(server: Any) -> None:
    when_ready(server)
