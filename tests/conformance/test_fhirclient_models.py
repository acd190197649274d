"""Responses parse in the strict models of the Python ``fhirclient`` 4.4 (unknown or missing keys fail)."""

from __future__ import annotations

import json

from fhirclient.models.bundle import Bundle
from fhirclient.models.capabilitystatement import CapabilityStatement
from fhirclient.models.fhirelementfactory import FHIRElementFactory
from fhirclient.models.operationoutcome import OperationOutcome

from tests.conftest import SYNTHEA_DEV


def test_capability_statement_parses_strictly(client):
    CapabilityStatement(client.get("metadata").get_json(), strict=True)


def test_search_history_and_reads_parse_strictly(client):
    bundle = json.loads(sorted(SYNTHEA_DEV.glob("*.json"))[0].read_text())
    client.post("", bundle)
    searchset = client.get("Observation?_count=5").get_json()
    parsed = Bundle(searchset, strict=True)
    assert parsed.total > 5 and len(parsed.entry) == 5
    Bundle(client.get("Patient/_history").get_json(), strict=True)
    for rtype in ("Patient", "Encounter", "Condition", "MedicationRequest", "Claim", "ExplanationOfBenefit"):
        first = client.get(f"{rtype}?_count=1").get_json()["entry"][0]["resource"]
        read = client.get(f"{rtype}/{first['id']}").get_json()
        FHIRElementFactory.instantiate(rtype, read)


def test_transaction_response_and_errors_parse_strictly(client):
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}}]}
    Bundle(client.post("", bundle).get_json(), strict=True)
    OperationOutcome(client.get("Patient/missing").get_json(), strict=True)
    OperationOutcome(client.post("Patient", {"resourceType": "Patient", "gender": 1}).get_json(), strict=True)
