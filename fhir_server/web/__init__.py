"""The HTTP edge: Flask request to :class:`fhir_server.rest.FhirRequest` and back (http_api), content
negotiation (content), and serving with gunicorn (server, gunicorn_config)."""
