"""A thin FHIR-flavoured wrapper over Flask's test client for the tests."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

FHIR_JSON = "application/fhir+json"


class FhirTestClient:
    def __init__(self, client: FlaskClient, prefix: str = "/fhir") -> None:
        self.client = client
        self.prefix = prefix

    def request(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
                content_type: str = FHIR_JSON, raw: bytes | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        hdrs = dict(headers or {})
        if data is not None:
            hdrs.setdefault("Content-Type", content_type)
        url = f"{self.prefix}/{path.lstrip('/')}" if path else f"{self.prefix}/"
        return self.client.open(url, method=method, data=data, headers=hdrs, **kwargs)

    def get(self, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any):  # type: ignore[no-untyped-def]
        return self.request("DELETE", path, **kw)

    def create(self, resource: dict[str, Any]) -> dict[str, Any]:
        response = self.post(resource["resourceType"], resource)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()
