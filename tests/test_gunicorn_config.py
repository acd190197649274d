"""The gunicorn configuration module: settings from the environment and the master's warm-up."""

from __future__ import annotations

import gc
import importlib
import subprocess
import sys

from fhir_server import gunicorn_config


def test_settings_follow_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FHIR_WORKERS", "3")
    monkeypatch.setenv("FHIR_THREADS", "6")
    module = importlib.reload(gunicorn_config)
    try:
        assert (module.worker_class, module.workers, module.threads) == ("gthread", 3, 6)
    finally:
        monkeypatch.undo()
        importlib.reload(gunicorn_config)


def test_warm_up_builds_the_request_path_before_any_request() -> None:
    """In a fresh interpreter, as in a gunicorn master: after warm_up, validators and extraction
    plans of every type exist, the interaction modules are imported and the heap is frozen."""
    script = """
import gc, sys
from fhir_server.gunicorn_config import warm_up
from fhir_server.resource_types import RESOURCE_TYPES
warm_up()
from fhir_server.search.extract import _plan
from fhir_server.validation import compiler
assert "fhir_server.routes" in sys.modules and "fhir_server.interactions.read" in sys.modules
assert _plan.cache_info().currsize >= len(RESOURCE_TYPES), _plan.cache_info()
from fhir_server.validation.tables import schema_types
assert set(compiler._VALIDATORS) == set(RESOURCE_TYPES) - set(schema_types()), sorted(compiler._VALIDATORS)
assert gc.get_freeze_count() > 100_000, gc.get_freeze_count()
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    assert gc.isenabled()
