"""WSGI entry point for production: ``gunicorn wsgi:app`` (needs MONGODB_URI)."""

from fhir_server.app import create_app
from fhir_server.config import from_env

app = create_app(from_env())
