"""The FHIR app plus one route that answers a fixed JSON body without touching the database.

Read throughput is reported relative to this route, served by the same gunicorn and Flask stack
in the same run, so the ratio measures what the FHIR read path costs on top of the web stack.
"""

from __future__ import annotations

import os

from flask import Response

from fhir_server.app import create_app
from fhir_server.config import from_env

FIXED = (b'{"resourceType":"Patient","id":"fixed",'
         b'"meta":{"versionId":"1","lastUpdated":"2026-01-01T00:00:00.000Z"},"gender":"female"}')

app = create_app(from_env())


@app.get("/bench/fixed")
def fixed() -> Response:
    return Response(FIXED, content_type="application/fhir+json; charset=utf-8")


@app.get("/bench/worker")
def worker() -> Response:
    """Which worker answered: the harness waits until every worker has, before it measures."""
    return Response(str(os.getpid()), content_type="text/plain")
