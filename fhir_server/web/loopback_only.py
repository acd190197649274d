"""With ``FHIR_AUTH=off`` the app itself answers loopback clients only.

Authorization off serves every card without a token. ``serve`` checks ``FHIR_HOST`` and the
gunicorn configuration module checks the sockets it bound, but both are outside the app: any other
WSGI server, or gunicorn started without ``-c python:fhir_server.web.gunicorn_config``, would
listen wherever it was told. So the app refuses, before any route runs, every request whose
``REMOTE_ADDR`` is not a loopback address (127.0.0.0/8, ``::1``, ``::ffff:127.x``), whatever
server runs it: 403 with an OperationOutcome, and one warning in the log. A request without a
usable address (a Unix socket, whose proxy decides who reaches it) is refused too.
"""

from __future__ import annotations

import ipaddress
import logging
import threading

from flask import Flask, Response, request

from fhir_server.errors import Forbidden
from fhir_server.web import content

log = logging.getLogger(__name__)

REFUSAL = ("FHIR_AUTH=off serves loopback clients only: this request came from another address "
           "(set FHIR_AUTH=on to serve it)")


def is_loopback(address: str | None) -> bool:
    """Whether a client address (``REMOTE_ADDR``) is this host's own."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 zone says nothing about the host
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool((mapped or ip).is_loopback)


class _WarnOnce:
    """One warning per process: a scanner must not flood the log with one line per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False

    def __call__(self, address: str | None) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        log.warning("FHIR_AUTH=off: refusing requests from non-loopback address %s (and any other; "
                    "this is logged once)", address or "(none)")


def install(app: Flask) -> None:
    """Refuse every request from beyond loopback, before routing and every view."""
    warn = _WarnOnce()

    @app.before_request
    def loopback_only() -> Response | None:
        address = request.remote_addr
        if is_loopback(address):
            return None
        warn(address)
        refusal = Forbidden(REFUSAL)
        return Response(content.render(refusal.outcome(), False), status=refusal.status,
                        content_type=f"{content.FHIR_JSON}; charset=utf-8")
