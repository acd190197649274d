"""WSGI entry point for production (needs MONGODB_URI):
``gunicorn -c python:fhir_server.web.gunicorn_config wsgi:app``."""

from fhir_server.app import create_app
from fhir_server.config import from_env

app = create_app(from_env())
