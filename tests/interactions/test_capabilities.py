"""capabilities: GET /metadata (http.html#capabilities)."""

from __future__ import annotations

from fhir.resources.R4B.capabilitystatement import CapabilityStatement


def test_metadata_is_a_valid_capability_statement(client):
    response = client.get("metadata")
    assert response.status_code == 200
    body = response.get_json()
    CapabilityStatement.model_validate(body)
    assert body["fhirVersion"] == "4.0.1"
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert len(resources) == 146
    observation = resources["Observation"]
    names = {p["name"] for p in observation["searchParam"]}
    assert {"code", "patient", "date", "value-quantity", "_id", "_lastUpdated"} <= names
    assert {"read", "vread", "create", "update", "patch", "delete", "search-type"} <= {
        i["code"] for i in observation["interaction"]}
    assert {"transaction", "batch", "history-system"} <= {i["code"] for i in body["rest"][0]["interaction"]}
