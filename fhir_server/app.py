"""Application factory: ``create_app(settings)`` builds a Flask app serving the FHIR API."""

from __future__ import annotations

import logging

from flask import Flask

from fhir_server.config import Settings
from fhir_server.routes import make_context
from fhir_server.storage import read_cache
from fhir_server.storage.mongo import Store, connect, ensure_indexes
from fhir_server.web import http_api, loopback_only


def create_app(settings: Settings, store: Store | None = None) -> Flask:
    """Build the app; ``store`` defaults to a connection to ``settings.mongodb_uri``."""
    settings.check()
    if store is None:
        if not settings.mongodb_uri:
            raise ValueError("MONGODB_URI is not set (python -m fhir_server serve starts an embedded mongod)")
        store = connect(settings.mongodb_uri, settings.database)
    ensure_indexes(store)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # flask's DefaultJSONProvider has it
    if not settings.auth_enabled:
        # FHIR_HOST and the gunicorn hooks are outside the app; this holds under any WSGI server.
        loopback_only.install(app)
    cache = read_cache.make(store.resources, settings.read_cache_size)
    app.extensions["fhir_context"] = make_context(settings, store, cache)
    app.register_blueprint(http_api.blueprint(settings.base_url))
    if settings.auth_enabled:
        from fhir_server import auth

        auth.init_app(app, settings, store)
    http_api.install_error_handlers(app)
    logging.getLogger("fhir_server").setLevel(logging.INFO)
    return app
