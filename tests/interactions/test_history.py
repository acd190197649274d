"""history: instance, type, system; _since, _at, _count and paging (http.html#history)."""

from __future__ import annotations

import time
from urllib.parse import urlparse


def _versions(client, n: int) -> list[str]:
    stamps = []
    for i in range(n):
        body = client.put("Patient/h1", {"resourceType": "Patient", "id": "h1", "birthDate": f"20{10 + i}"}).get_json()
        stamps.append(body["meta"]["lastUpdated"])
        time.sleep(0.01)
    return stamps


def _follow(client, url: str):
    parsed = urlparse(url)
    return client.client.get(parsed.path + "?" + parsed.query)


def test_instance_history_newest_first(client):
    _versions(client, 3)
    bundle = client.get("Patient/h1/_history").get_json()
    assert bundle["type"] == "history"
    assert bundle["total"] == 3
    assert [e["resource"]["meta"]["versionId"] for e in bundle["entry"]] == ["3", "2", "1"]
    assert bundle["entry"][-1]["response"]["status"] == "201 Created"


def test_since_and_at(client):
    stamps = _versions(client, 3)
    since = client.get(f"Patient/h1/_history?_since={stamps[1]}").get_json()
    assert [e["resource"]["meta"]["versionId"] for e in since["entry"]] == ["3", "2"]
    at = client.get(f"Patient/h1/_history?_at={stamps[1]}").get_json()
    assert [e["resource"]["meta"]["versionId"] for e in at["entry"]] == ["2"]
    assert client.get("Patient/h1/_history?_since=yesterday").status_code == 400


def test_paging_through_history(client):
    _versions(client, 5)
    page = client.get("Patient/h1/_history?_count=2").get_json()
    seen = []
    while True:
        seen += [e["resource"]["meta"]["versionId"] for e in page["entry"]]
        nxt = [link["url"] for link in page["link"] if link["relation"] == "next"]
        if not nxt:
            break
        page = _follow(client, nxt[0]).get_json()
    assert seen == ["5", "4", "3", "2", "1"]


def test_type_and_system_history(client):
    _versions(client, 2)
    client.post("Observation", {"resourceType": "Observation", "status": "final", "code": {"text": "x"}})
    assert client.get("Patient/_history").get_json()["total"] == 2
    system = client.get("_history").get_json()
    assert system["total"] == 3
    assert {e["fullUrl"].split("/")[-2] for e in system["entry"]} == {"Patient", "Observation"}


def test_history_of_unknown_is_404(client):
    assert client.get("Patient/none/_history").status_code == 404
