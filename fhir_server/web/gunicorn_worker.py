"""The gunicorn worker of the server: gthread, with longer request lines and FHIR errors.

gunicorn answers what it cannot parse itself (a request line or headers over its limits, a control
character in a header, a malformed request line) before the app sees the request, and by default
with an HTML page. This worker answers those with an OperationOutcome
(``Content-Type: application/fhir+json``) and the status gunicorn chose, except that a request line
over the limit is 414 URI Too Long (gunicorn says 400) and header limits 431.

Request lines: gunicorn refuses its ``limit_request_line`` above 8190 bytes (anything larger is
taken as 8190, only 0 lifts the limit, and then a client can send a line of any size into memory).
A GET search with many parameters is longer than that, so this worker parses request lines of up to
``REQUEST_LINE_LIMIT`` bytes (32 KiB); longer ones are 414.

Configured by ``worker_class`` in fhir_server.web.gunicorn_config (and ``serve``).
"""

from __future__ import annotations

import json
import ssl
from datetime import datetime
from typing import Any

from gunicorn.http import errors as http_errors
from gunicorn.http.message import Request
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import ThreadWorker

from fhir_server.errors import Issue, operation_outcome

REQUEST_LINE_LIMIT = 32768  # bytes of method, target and version
HEADER_FIELD_LIMIT = 16384  # bytes of one header line, name and value


class LongLineRequest(Request):  # type: ignore[misc]  # gunicorn is untyped
    """A gunicorn request whose request line may be ``REQUEST_LINE_LIMIT`` bytes long."""

    def parse(self, unreader: Any) -> Any:
        # Request.__init__ has just set the limit from the configuration, capped at 8190.
        self.limit_request_line = REQUEST_LINE_LIMIT
        return super().parse(unreader)


# (status, reason phrase, issue code) of each error gunicorn raises while it parses a request.
_PARSE_ERRORS: list[tuple[type[BaseException], int, str, str]] = [
    (http_errors.LimitRequestLine, 414, "URI Too Long", "too-long"),
    (http_errors.LimitRequestHeaders, 431, "Request Header Fields Too Large", "too-long"),
    (http_errors.UnsupportedTransferCoding, 501, "Not Implemented", "not-supported"),
    (http_errors.ConfigurationProblem, 500, "Internal Server Error", "exception"),
    (http_errors.ForbiddenProxyRequest, 403, "Forbidden", "forbidden"),
    (http_errors.ParseException, 400, "Bad Request", "structure"),
    (ssl.SSLError, 403, "Forbidden", "security"),
]


def describe(exc: BaseException) -> tuple[int, str, str, str]:
    """The status, reason phrase, issue code and message of an error of the request's parsing."""
    for kind, status, reason, code in _PARSE_ERRORS:
        if isinstance(exc, kind):
            if isinstance(exc, http_errors.LimitRequestLine):
                return status, reason, code, f"The request line is longer than {REQUEST_LINE_LIMIT} bytes"
            if isinstance(exc, http_errors.LimitRequestHeaders):
                return status, reason, code, (f"The request headers are too large (at most {HEADER_FIELD_LIMIT} "
                                              f"bytes per header): {exc}")
            if status >= 500:
                return status, reason, code, "Internal server error"
            return status, reason, code, f"The request could not be parsed: {exc}"
    return 500, "Internal Server Error", "exception", "Internal server error"


def error_response(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP/1.1 response carrying an OperationOutcome; the connection closes after it."""
    body = json.dumps(operation_outcome([Issue(code, message)]), ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/fhir+json; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class FhirThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn is untyped
    """gunicorn's gthread worker with ``LongLineRequest`` and OperationOutcome parse errors."""

    def handle(self, conn: Any) -> Any:
        # ThreadWorker.enqueue_req has made the connection's parser; its next requests are ours.
        conn.parser.mesg_class = LongLineRequest
        return super().handle(conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        started = datetime.now()
        addr = addr or ("", -1)  # a Unix socket
        status, reason, code, message = describe(exc)
        if status >= 500:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
        else:
            self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
            req = req or getattr(exc, "req", None)  # for the access log
        data = error_response(status, reason, code, message)
        if req is not None:
            environ = default_environ(req, client, self.cfg)
            environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = addr[0], str(addr[1])
            resp = Response(req, client, self.cfg)
            resp.status = f"{status} {reason}"
            resp.response_length = len(data)
            self.log.access(resp, req, environ, datetime.now() - started)
        try:
            write_nonblock(client, data)
        except Exception:  # noqa: BLE001 - the client may be gone; as gunicorn does
            self.log.debug("Failed to send error message.")
