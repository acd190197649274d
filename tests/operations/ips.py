"""An IPS-shaped document Bundle checker (IPS STU2 document structure, http://hl7.org/fhir/uv/ips/STU2/):
what ``$summary`` must produce, checked on the JSON alone."""

from __future__ import annotations

from typing import Any

from fhir_server.validation import validate_structure

LOINC = "http://loinc.org"
REQUIRED_SECTIONS = {"48765-2": "AllergyIntolerance", "11450-4": "Condition",
                     "10160-0": ("MedicationStatement", "MedicationRequest")}
SECTION_TYPES = {"11369-6": ("Immunization",), "30954-2": ("Observation", "DiagnosticReport"),
                 "47519-4": ("Procedure",), "11348-0": ("Condition",), "18842-5": ("Composition",)}


def sections(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    composition = bundle["entry"][0]["resource"]
    return {s["code"]["coding"][0]["code"]: s for s in composition["section"]}


def entries_of(bundle: dict[str, Any], section: dict[str, Any]) -> list[dict[str, Any]]:
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    return [by_url[ref["reference"]] for ref in section["entry"]]


def check_ips(bundle: dict[str, Any], patient_id: str) -> None:
    assert validate_structure(bundle) == [], [i.to_json() for i in validate_structure(bundle)]
    assert bundle["type"] == "document"
    assert bundle["identifier"]["system"] and bundle["identifier"]["value"]
    assert bundle["timestamp"]
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls)), "each resource once"
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    composition = bundle["entry"][0]["resource"]
    assert composition["resourceType"] == "Composition"
    assert composition["type"]["coding"][0] == {"system": LOINC, "code": "60591-5",
                                                "display": "Patient summary Document"}
    assert composition["status"] == "final" and composition["title"] and composition["date"]
    subject = by_url[composition["subject"]["reference"]]
    assert subject["resourceType"] == "Patient" and subject["id"] == patient_id
    assert all(a["reference"] in by_url for a in composition["author"])
    found = sections(bundle)
    assert set(REQUIRED_SECTIONS) <= set(found)
    referenced = {composition["subject"]["reference"], *(a["reference"] for a in composition["author"])}
    for code, section in found.items():
        assert section["title"] and section["text"]["div"].startswith("<div xmlns=\"http://www.w3.org/1999/xhtml\">")
        assert section["entry"], f"section {code} has entries"
        wanted = REQUIRED_SECTIONS.get(code) or SECTION_TYPES[code]
        for ref in section["entry"]:
            assert ref["reference"] in by_url, ref
            assert by_url[ref["reference"]]["resourceType"] in wanted
            referenced.add(ref["reference"])
    assert referenced == set(urls[1:]), "every entry is referenced by the Composition"
    for url, resource in by_url.items():
        if url.startswith("urn:uuid:"):
            continue
        assert url.endswith(f"/{resource['resourceType']}/{resource['id']}")
