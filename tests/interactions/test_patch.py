"""patch over HTTP: JSON Patch and FHIRPath Patch (http.html#patch)."""

from __future__ import annotations


def _patient(client):
    return client.put("Patient/p", {"resourceType": "Patient", "id": "p", "gender": "male",
                                    "name": [{"family": "Петров"}]}).get_json()


def test_json_patch(client):
    _patient(client)
    ops = [{"op": "replace", "path": "/gender", "value": "female"}, {"op": "add", "path": "/birthDate", "value": "2010-05-01"}]
    response = client.patch("Patient/p", ops, content_type="application/json-patch+json")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["gender"] == "female" and body["birthDate"] == "2010-05-01"
    assert body["meta"]["versionId"] == "2"


def test_fhirpath_patch(client):
    _patient(client)
    params = {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
        {"name": "type", "valueCode": "add"}, {"name": "path", "valueString": "Patient"},
        {"name": "name", "valueString": "birthDate"}, {"name": "value", "valueDate": "2001-02-03"}]}]}
    response = client.patch("Patient/p", params)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["birthDate"] == "2001-02-03"


def test_patch_to_invalid_resource_is_rejected(client):
    _patient(client)
    ops = [{"op": "replace", "path": "/gender", "value": "robot"}]
    response = client.patch("Patient/p", ops, content_type="application/json-patch+json")
    assert response.status_code == 400
    assert client.get("Patient/p").get_json()["gender"] == "male"


def test_patch_failing_test_op_is_422(client):
    _patient(client)
    ops = [{"op": "test", "path": "/gender", "value": "female"}]
    assert client.patch("Patient/p", ops, content_type="application/json-patch+json").status_code == 422


def test_patch_cannot_change_id(client):
    _patient(client)
    ops = [{"op": "replace", "path": "/id", "value": "other"}]
    assert client.patch("Patient/p", ops, content_type="application/json-patch+json").status_code == 422


def test_patch_if_match_and_missing(client):
    _patient(client)
    ops = [{"op": "replace", "path": "/gender", "value": "female"}]
    stale = client.patch("Patient/p", ops, content_type="application/json-patch+json", headers={"If-Match": 'W/"9"'})
    assert stale.status_code == 412
    assert client.patch("Patient/none", ops, content_type="application/json-patch+json").status_code == 404


def test_patch_if_match_any_version(client):
    _patient(client)
    ops = [{"op": "replace", "path": "/gender", "value": "female"}]
    patched = client.patch("Patient/p", ops, content_type="application/json-patch+json", headers={"If-Match": "*"})
    assert patched.status_code == 200 and patched.get_json()["gender"] == "female"
    assert patched.headers["ETag"] == 'W/"2"'


def test_conditional_patch(client):
    client.post("Patient", {"resourceType": "Patient", "identifier": [{"system": "s", "value": "v"}]})
    ops = [{"op": "add", "path": "/gender", "value": "female"}]
    response = client.patch("Patient?identifier=s|v", ops, content_type="application/json-patch+json")
    assert response.status_code == 200
    assert response.get_json()["gender"] == "female"


def _parallel_patches(app, headers_of, n: int = 20) -> list:
    """``n`` JSON Patches of Patient/p at once, each adding its own identifier; the responses."""
    import threading

    barrier = threading.Barrier(n)
    responses: list = [None] * n

    def attempt(i: int) -> None:
        ops = [{"op": "add", "path": "/identifier/-", "value": {"system": "urn:test:patch", "value": f"v{i}"}}]
        local = app.test_client()
        barrier.wait()
        responses[i] = local.patch("/fhir/Patient/p", json=ops,
                                   headers={"Content-Type": "application/json-patch+json", **headers_of(i)})

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses


def test_concurrent_patches_without_if_match_all_apply(app, client):
    """Like PUT: a PATCH without If-Match that loses a version race is re-read, re-patched, retried."""
    for round_ in range(3):
        client.put("Patient/p", {"resourceType": "Patient", "id": "p", "identifier": [
            {"system": "urn:test:round", "value": str(round_)}]})
        start = int(client.get("Patient/p").get_json()["meta"]["versionId"])
        responses = _parallel_patches(app, lambda i: {})
        failures = [(r.status_code, r.get_json()) for r in responses if r.status_code != 200]
        assert not failures, failures
        final = client.get("Patient/p").get_json()
        assert final["meta"]["versionId"] == str(start + 20)
        values = sorted(i["value"] for i in final["identifier"] if i["system"] == "urn:test:patch")
        assert values == sorted(f"v{i}" for i in range(20))


def test_concurrent_patches_with_same_if_match_one_wins(app, client):
    client.put("Patient/p", {"resourceType": "Patient", "id": "p", "identifier": [{"system": "urn:x", "value": "1"}]})
    responses = _parallel_patches(app, lambda i: {"If-Match": 'W/"1"'}, n=8)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 7
    for r in responses:
        if r.status_code == 412:
            text = r.get_json()["issue"][0]["diagnostics"]
            assert "version 1" in text, text


def test_patch_lost_race_message_never_names_an_unsent_if_match(app, client, monkeypatch):
    """Every attempt loses its race: the answer says so without an If-Match the client never sent."""
    from fhir_server.interactions import patch as patch_module

    _patient(client)
    real = patch_module.load_visible

    def stale(ctx, rtype, rid, req, **kw):  # the version read is always one behind the stored one
        doc = real(ctx, rtype, rid, req, **kw)
        client.put("Patient/p", {**doc["res"], "gender": "other" if doc["res"].get("gender") != "other" else "male"})
        return doc

    monkeypatch.setattr(patch_module, "load_visible", stale)
    ops = [{"op": "replace", "path": "/gender", "value": "female"}]
    response = client.patch("Patient/p", ops, content_type="application/json-patch+json")
    assert response.status_code in (409, 412)
    assert "if-match" not in response.get_json()["issue"][0]["diagnostics"].lower()
