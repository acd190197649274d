"""delete and conditional delete (http.html#delete)."""

from __future__ import annotations


def test_delete_then_gone_and_history_kept(client):
    client.put("Patient/p1", {"resourceType": "Patient", "id": "p1"})
    response = client.delete("Patient/p1")
    assert response.status_code == 200
    assert client.get("Patient/p1").status_code == 410
    assert client.get("Patient/p1/_history/1").status_code == 200
    assert client.get("Patient/p1/_history/2").status_code == 410
    history = client.get("Patient/p1/_history").get_json()
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "PUT"]
    assert "resource" not in history["entry"][0]
    search = client.get("Patient?_id=p1").get_json()
    assert search["total"] == 0


def test_delete_absent_is_harmless(client):
    assert client.delete("Patient/nothing").status_code == 200


def test_recreate_after_delete_continues_versions(client):
    client.put("Patient/p1", {"resourceType": "Patient", "id": "p1"})
    client.delete("Patient/p1")
    again = client.put("Patient/p1", {"resourceType": "Patient", "id": "p1"})
    assert again.status_code == 201
    assert again.get_json()["meta"]["versionId"] == "3"


def test_conditional_delete(client):
    ident = {"system": "urn:emc:mhi", "value": "42"}
    client.post("Patient", {"resourceType": "Patient", "identifier": [ident]})
    response = client.delete("Patient?identifier=urn:emc:mhi|42")
    assert response.status_code == 200
    assert client.get("Patient?identifier=urn:emc:mhi|42").get_json()["total"] == 0
    client.post("Patient", {"resourceType": "Patient", "identifier": [ident]})
    client.post("Patient", {"resourceType": "Patient", "identifier": [ident]})
    assert client.delete("Patient?identifier=urn:emc:mhi|42").status_code == 412


def test_delete_with_if_match(client):
    client.put("Patient/p1", {"resourceType": "Patient", "id": "p1"})
    assert client.delete("Patient/p1", headers={"If-Match": 'W/"2"'}).status_code == 412
    assert client.get("Patient/p1").status_code == 200
    assert client.delete("Patient/p1", headers={"If-Match": "garbage"}).status_code == 400
    assert client.delete("Patient/p1", headers={"If-Match": 'W/"1"'}).status_code == 200
    assert client.get("Patient/p1").status_code == 410
    assert client.delete("Patient/p1", headers={"If-Match": 'W/"1"'}).status_code == 412


def test_delete_if_match_any_version(client):
    assert client.delete("Patient/p1", headers={"If-Match": "*"}).status_code == 412
    client.put("Patient/p1", {"resourceType": "Patient", "id": "p1"})
    assert client.delete("Patient/p1", headers={"If-Match": "*"}).status_code in (200, 204)
    assert client.get("Patient/p1").status_code == 410
    assert client.delete("Patient/p1", headers={"If-Match": "*"}).status_code == 412
