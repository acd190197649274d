"""The HTTP face of the FHIR API: Flask request -> FhirRequest -> dispatch -> JSON response.

Every error, ours or the framework's, leaves as an OperationOutcome with its status; an
unexpected one is logged here and answered as a plain 500 without internals.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from fhir_server.access import audit
from fhir_server.errors import FhirError, Issue, PayloadTooLarge, operation_outcome
from fhir_server.rest import Context, FhirRequest, FhirResponse, Headers
from fhir_server.web import content

log = logging.getLogger(__name__)
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
CONTROL_PARAMS = ("_format", "_pretty")
CONTENT_TYPES = {kind: f"{kind}; charset=utf-8" for kind in (content.FHIR_JSON, "application/json")}


def mount_path(base_url: str) -> str:
    return urlparse(base_url).path.rstrip("/")


def blueprint(base_url: str) -> Blueprint:
    bp = Blueprint("fhir", __name__, url_prefix=mount_path(base_url) or None)
    # The base URL itself (POST [base] takes batches and transactions), with or without the slash.
    bp.add_url_rule("/", "root", serve, methods=METHODS, defaults={"path": ""}, strict_slashes=False)
    bp.add_url_rule("/<path:path>", "path", serve, methods=METHODS)
    return bp


def context() -> Context:
    ctx: Context = current_app.extensions["fhir_context"]
    return ctx


def request_context(path: list[str]) -> Context:
    """The app-wide context, or (auth on) one holding this request's token policy; 401 without a token."""
    service = current_app.extensions.get("fhir_auth")
    if service is None:
        return context()
    from fhir_server.auth.bearer import request_context as secured

    return secured(service, context(), request.method, path, request.headers.get("Authorization"))


def serve(path: str) -> Response:
    args = request.args
    params = list(args.items(multi=True)) if args else []
    pretty = _pretty(params)
    try:
        kind = content.response_type(args.get("_format"), request.headers.get("Accept"))
    except FhirError as exc:
        return _send(FhirResponse(exc.status, exc.outcome(), exc.headers), content.FHIR_JSON, pretty)
    ctx, req = None, None
    segments = [p for p in path.split("/") if p]
    method = request.method
    try:
        ctx = request_context(segments)
        body, form = _body(method)
        req = FhirRequest(
            # HEAD is a GET whose body the WSGI layer drops (RFC 9110 section 9.3.2).
            method="GET" if method == "HEAD" else method,
            path=segments,
            params=[(k, v) for k, v in params + form if k not in CONTROL_PARAMS],
            headers=Headers(request.headers.items()),
            body=body,
        )
        result = ctx.dispatch(req)
    except FhirError as exc:
        result = FhirResponse(exc.status, exc.outcome(), exc.headers)
    except RequestEntityTooLarge:
        result = _too_large()
    if ctx is not None:
        audit.record(ctx, req, result)
    return _send(result, kind, pretty)


def _body(method: str) -> tuple[Any, list[tuple[str, str]]]:
    """The parsed body and form parameters; a bodiless GET skips reading the input stream."""
    if method in ("GET", "HEAD") and not request.content_length and "chunked" not in (
            request.headers.get("Transfer-Encoding") or ""):
        return None, []
    raw = request.get_data(cache=False)
    return content.parse_body(raw, request.headers.get("Content-Type"), method)


def _pretty(params: list[tuple[str, str]]) -> bool:
    return any(k == "_pretty" and v.lower() == "true" for k, v in params)


def _too_large() -> FhirResponse:
    limit = context().settings.max_body_bytes
    exc = PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes")
    return FhirResponse(exc.status, exc.outcome())


def _send(result: FhirResponse, kind: str, pretty: bool) -> Response:
    if result.resource is None:
        return Response(status=result.status, headers=result.headers)
    body = content.render(result.resource, pretty)
    content_type = CONTENT_TYPES.get(kind) or f"{kind}; charset=utf-8"
    return Response(body, status=result.status, headers=result.headers, content_type=content_type)


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if isinstance(exc, RequestEntityTooLarge):
            return _send(_too_large(), content.FHIR_JSON, False)
        code = {404: "not-found", 405: "not-supported", 413: "too-costly"}.get(exc.code or 500, "processing")
        outcome = operation_outcome([Issue(code, exc.description or exc.name)])
        return _send(FhirResponse(exc.code or 500, outcome), content.FHIR_JSON, False)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        outcome = operation_outcome([Issue("exception", "Internal server error")])
        return _send(FhirResponse(500, outcome), content.FHIR_JSON, False)


