"""Serving the app with gunicorn (``serve`` and production both use gunicorn)."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from fhir_server.config import Settings
from fhir_server.web import gunicorn_config


class FhirGunicorn(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Each worker builds its own app, hence its own MongoClient (pymongo is not fork-safe).
        from fhir_server.app import create_app

        return create_app(self.settings)


def run_gunicorn(settings: Settings, workers: int | None = None) -> None:
    def listeners_checked(server: Any) -> None:
        gunicorn_config.refuse_open_listeners(server, settings.auth_enabled)

    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": workers or gunicorn_config.workers,
        "worker_class": gunicorn_config.worker_class,
        "threads": gunicorn_config.threads,
        "limit_request_line": gunicorn_config.limit_request_line,
        "limit_request_field_size": gunicorn_config.limit_request_field_size,
        "limit_request_fields": gunicorn_config.limit_request_fields,
        "accesslog": os.environ.get("FHIR_ACCESS_LOG") or None,
        "timeout": gunicorn_config.timeout,
        "on_starting": gunicorn_config.on_starting,
        "when_ready": listeners_checked,
        "on_reload": listeners_checked,
    }
    FhirGunicorn(settings, options).run()
