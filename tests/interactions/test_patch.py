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
