"""The gunicorn worker: long GET searches reach the app, and what gunicorn itself refuses while it
parses a request is answered with an OperationOutcome, never HTML."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from fhir_server.web.gunicorn_worker import REQUEST_LINE_LIMIT, describe, error_response
from tests.web.test_gunicorn_config import production_server


@pytest.fixture()
def production_port(mongo_uri, store) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """A real gunicorn started with the production configuration module."""
    with production_server(mongo_uri, store.db.name) as port:
        yield port


def _exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw`` as it is; the status, headers (lower-cased names) and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                headers = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:])
                length = {k.lower(): v for k, v in headers.items()}.get("content-length")
                if length is not None and len(body) >= int(length):
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _get(target: str, extra: str = "") -> bytes:
    return f"GET {target} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n".encode("latin-1")


def _outcome(status: int, headers: dict[str, str], body: bytes) -> dict:  # type: ignore[type-arg]
    assert headers["content-type"].startswith("application/fhir+json"), (status, headers, body[:200])
    outcome = json.loads(body)
    assert outcome["resourceType"] == "OperationOutcome", outcome
    return outcome


def test_long_get_search_reaches_the_app(production_port):
    query = "&".join(f"identifier=urn:test|{n:08d}" for n in range(8192 // 28 + 1))
    assert len(query) > 8192
    status, headers, body = _exchange(production_port, _get(f"/fhir/Patient?{query}"))
    assert headers["content-type"].startswith("application/fhir+json"), (status, headers, body[:300])
    answer = json.loads(body)
    assert status == 200 and answer["resourceType"] == "Bundle", answer


def test_request_line_over_the_limit_is_414_outcome(production_port):
    target = "/fhir/Patient?name=" + "a" * REQUEST_LINE_LIMIT
    status, headers, body = _exchange(production_port, _get(target))
    assert status == 414
    assert _outcome(status, headers, body)["issue"][0]["code"] == "too-long"


@pytest.mark.parametrize("value", ["a\x00b", "a\rb"])
def test_control_character_in_a_header_is_400_outcome(production_port, value):
    """gunicorn refuses NUL and a bare CR in a header value (RFC 9110 section 5.5); other control
    characters reach the app."""
    status, headers, body = _exchange(production_port, _get("/fhir/metadata", f"X-Test: {value}\r\n"))
    assert status == 400, body[:300]
    _outcome(status, headers, body)


def test_oversized_header_is_431_outcome(production_port):
    status, headers, body = _exchange(production_port, _get("/fhir/metadata", f"X-Big: {'b' * 20000}\r\n"))
    assert status == 431
    assert _outcome(status, headers, body)["issue"][0]["code"] == "too-long"


def test_malformed_request_line_is_400_outcome(production_port):
    status, headers, body = _exchange(production_port, b"GET /fhir/metadata HTTP/9\r\n\r\n")
    assert status == 400
    _outcome(status, headers, body)


def test_error_response_is_well_formed():
    from gunicorn.http.errors import LimitRequestLine

    raw = error_response(*describe(LimitRequestLine(40000, REQUEST_LINE_LIMIT)))
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body)["issue"][0]["code"] == "too-long"
    assert describe(RuntimeError("x"))[0] == 500
