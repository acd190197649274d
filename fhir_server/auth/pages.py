"""HTML pages of the login and consent screens (templates/), rendered with Flask's autoescaping Jinja."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",  # no clickjacking of the consent button
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' *; "
                               "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def page(template: str, status: int = 200, **context: Any) -> Response:
    response = make_response(render_template(template, **context), status)
    response.headers.update(PAGE_HEADERS)
    return response


def message(title: str, text: str, status: int = 200) -> Response:
    return page("message.html", status=status, title=title, text=text)
