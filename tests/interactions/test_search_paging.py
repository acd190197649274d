"""search over HTTP: paging links, totals, POST _search, strict handling (search.html, http.html#paging)."""

from __future__ import annotations

from urllib.parse import urlparse


def _follow(client, url: str):
    parsed = urlparse(url)
    return client.client.get(parsed.path + "?" + parsed.query)


def _link(bundle: dict, relation: str) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == relation), None)


def _patients(client, n: int) -> list[str]:
    return [client.create({"resourceType": "Patient", "birthDate": f"19{50 + i}-01-01",
                           "name": [{"family": f"Фамилия{i:02d}"}]})["id"] for i in range(n)]


def test_pages_forward_and_back_cover_everything_once(client):
    ids = _patients(client, 7)
    page = client.get("Patient?_count=3&_sort=birthdate").get_json()
    assert page["total"] == 7
    assert _link(page, "previous") is None
    pages = [[e["resource"]["id"] for e in page["entry"]]]
    while _link(page, "next"):
        page = _follow(client, _link(page, "next")).get_json()
        pages.append([e["resource"]["id"] for e in page["entry"]])
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == ids  # birth dates ascend with creation order
    back = _follow(client, _link(page, "previous")).get_json()
    assert [e["resource"]["id"] for e in back["entry"]] == pages[1]


def test_paging_is_stable_while_resources_are_written(client):
    _patients(client, 6)
    first = client.get("Patient?_count=3&_sort=-birthdate").get_json()
    seen = [e["resource"]["id"] for e in first["entry"]]
    # A resource sorting before the cursor must neither shift nor repeat the next page.
    client.create({"resourceType": "Patient", "birthDate": "2020-01-01"})
    second = _follow(client, _link(first, "next")).get_json()
    rest = [e["resource"]["id"] for e in second["entry"]]
    assert len(rest) == 3 and not set(rest) & set(seen)


def test_count_zero_gives_only_total(client):
    _patients(client, 2)
    bundle = client.get("Patient?_count=0").get_json()
    assert bundle["total"] == 2 and "entry" not in bundle


def test_post_search_with_form_body(client):
    _patients(client, 3)
    response = client.post("Patient/_search", raw=b"family=Familia&birthdate=ge1951-01-01",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.get_json()["type"] == "searchset"
    response = client.post("Patient/_search", raw="family=Фамилия0".encode(),
                           content_type="application/x-www-form-urlencoded")
    assert response.get_json()["total"] == 3


def test_unknown_parameter_ignored_or_strict_400(client):
    _patients(client, 1)
    lenient = client.get("Patient?nonsense=1")
    assert lenient.status_code == 200 and lenient.get_json()["total"] == 1
    strict = client.get("Patient?nonsense=1", headers={"Prefer": "handling=strict"})
    assert strict.status_code == 400
    assert "nonsense" in strict.get_json()["issue"][0]["diagnostics"]


def test_operator_injection_has_no_effect(client):
    _patients(client, 2)
    bundle = client.client.get("/fhir/Patient?family[$ne]=x&_id[$regex]=.*").get_json()
    assert bundle["total"] == 2  # unknown parameters, ignored: not operators


def test_bad_cursor_is_400(client):
    assert client.get("Patient?_cursor=garbage").status_code == 400


def test_entries_have_full_url_and_match_mode(client):
    pid = _patients(client, 1)[0]
    entry = client.get(f"Patient?_id={pid}").get_json()["entry"][0]
    assert entry["fullUrl"] == f"http://testserver/fhir/Patient/{pid}"
    assert entry["search"] == {"mode": "match"}
