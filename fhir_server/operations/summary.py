"""``GET|POST [base]/Patient/[id]/$summary`` and ``[base]/Patient/$summary?identifier=...``:
the International Patient Summary (IPS STU2, http://hl7.org/fhir/uv/ips/STU2/, operation
http://hl7.org/fhir/uv/ips/OperationDefinition/summary).

The ambulance crew's view of the card: a document Bundle (http://hl7.org/fhir/R4/documents.html)
whose first entry is a Composition of type LOINC 60591-5 "Patient summary Document", then the
Patient, then every resource the sections list. The allergies, problems and medications
sections are always present; when the card has nothing for one of them, it holds one entry
saying so, coded from the IPS absent-unknown code system (``no-allergy-info``...). Which
resources fill each section: :mod:`.summary_sections`.

At type level the patient is found by ``identifier`` (``system|value``, e.g. the MHI policy
number ``https://emc.mos.ru/fhir/sid/mhi|7700000000000019``): none or several matches is a 404
or a 400. The Patient must be visible to the caller; every resource in the summary passes the
access policy. Resources generated for the document (the Composition, the author Device, the
"no information" entries) have ``urn:uuid:`` full URLs; stored ones their RESTful URL, and the
Composition refers to each by its full URL.
"""

from __future__ import annotations

import html
import uuid
from typing import Any

from fhir_server.access.search import scoped_filter
from fhir_server.errors import BadRequest, NotFound
from fhir_server.interactions.read import load_visible
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.search.compile import compile_search
from fhir_server.spec.fhir_dates import format_instant
from fhir_server.storage.store import now

from . import summary_sections as ss
from .params import collect, require_type

NAME = "$summary"
LOINC = "http://loinc.org"
ABSENT_UNKNOWN = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips"
XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'
Doc = dict[str, Any]


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    require_type(req, "Patient", NAME)
    instance = len(req.path) > 2
    params = collect(req, NAME, frozenset() if instance else frozenset({"identifier"}))
    if instance:
        patient = load_visible(ctx, "Patient", req.path[1], req)
    else:
        patient = find_patient(ctx, params.one("identifier"))
    return FhirResponse(200, summary(ctx, patient))


def find_patient(ctx: Context, identifier: str | None) -> Doc:
    if identifier is None:
        raise BadRequest(f"{NAME}: give the patient: Patient/[id]/$summary or ?identifier=system|value",
                         expression=["identifier"])
    compiled = compile_search("Patient", [("identifier", identifier)], strict=True)
    docs = [d for d in ctx.store.find(scoped_filter(ctx, compiled, "Patient"), limit=2) if ctx.policy.visible(d)]
    if not docs:
        raise NotFound(f"{NAME}: no patient has the identifier {identifier}")
    if len(docs) > 1:
        raise BadRequest(f"{NAME}: several patients have the identifier {identifier}", expression=["identifier"])
    return docs[0]


def summary(ctx: Context, patient: Doc) -> dict[str, Any]:
    """The IPS document Bundle of ``patient`` (a stored document)."""
    chosen, totals = ss.select(ctx, patient["id"])
    patient_url = _url(ctx, patient)
    author = _device()
    entries: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": patient["res"]}]
    sections = []
    for section in ss.SECTIONS:
        docs = chosen[section.key]
        if not docs and not section.required:
            continue
        refs: list[str] = []
        if docs:
            for doc in docs:
                refs.append(_url(ctx, doc))
                entries.append({"fullUrl": refs[-1], "resource": doc["res"]})
            text = _list([_label(d["res"]) for d in docs], totals.get(section.key), len(docs))
        else:
            assert section.no_info is not None
            full_url, resource = _no_information(section, patient_url)
            refs.append(full_url)
            entries.append({"fullUrl": full_url, "resource": resource})
            text = f"<div {XHTML}><p>{html.escape(section.no_info[1])}</p></div>"
        sections.append({
            "title": section.title,
            "code": {"coding": [{"system": LOINC, "code": section.code, "display": section.display}]},
            "text": {"status": "generated", "div": text},
            "entry": [{"reference": r} for r in refs],
        })
    composition = _composition(patient, patient_url, author[0], sections)
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "type": "document",
        "timestamp": composition[1]["date"],
        "entry": [{"fullUrl": composition[0], "resource": composition[1]},
                  *entries, {"fullUrl": author[0], "resource": author[1]}],
    }


def _url(ctx: Context, doc: Doc) -> str:
    return f"{ctx.base_url}/{doc['t']}/{doc['id']}"


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _composition(patient: Doc, patient_url: str, author_url: str,
                 sections: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    name = _patient_name(patient["res"])
    resource = {
        "resourceType": "Composition",
        "text": {"status": "generated", "div": f"<div {XHTML}><p>Patient summary: {html.escape(name)}</p></div>"},
        "status": "final",
        "type": {"coding": [{"system": LOINC, "code": "60591-5", "display": "Patient summary Document"}]},
        "subject": {"reference": patient_url, "display": name},
        "date": format_instant(now()),
        "author": [{"reference": author_url}],
        "title": f"Patient Summary: {name}",
        "confidentiality": "N",
        "section": sections,
    }
    return _urn(), resource


def _device() -> tuple[str, dict[str, Any]]:
    return _urn(), {"resourceType": "Device",
                    "deviceName": [{"name": "Moscow EMC FHIR server", "type": "manufacturer-name"}]}


def _no_information(section: ss.Section, patient_url: str) -> tuple[str, dict[str, Any]]:
    """The IPS "no information" entry of an empty required section."""
    assert section.no_info is not None
    code = {"coding": [{"system": ABSENT_UNKNOWN, "code": section.no_info[0], "display": section.no_info[1]}]}
    subject = {"reference": patient_url}
    resource: dict[str, Any]
    if section.key == "allergies":
        resource = {"resourceType": "AllergyIntolerance", "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]},
            "code": code, "patient": subject}
    elif section.key == "problems":
        resource = {"resourceType": "Condition", "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                      "code": "problem-list-item"}]}],
            "code": code, "subject": subject}
    else:
        resource = {"resourceType": "MedicationStatement", "status": "unknown",
                    "medicationCodeableConcept": code, "subject": subject}
    return _urn(), resource


def _patient_name(patient: dict[str, Any]) -> str:
    for name in patient.get("name") or []:
        if name.get("text"):
            return str(name["text"])
        parts = [*name.get("given", []), name.get("family", "")]
        if any(parts):
            return " ".join(p for p in parts if p)
    return "(no name)"


def _concept_text(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding", []):
        if isinstance(coding, dict) and (coding.get("display") or coding.get("code")):
            return str(coding.get("display") or coding.get("code"))
    return None


def _label(res: dict[str, Any]) -> str:
    """One line of section narrative: what it is, its value or status, and when."""
    what = (_concept_text(res.get("code")) or _concept_text(res.get("vaccineCode"))
            or _concept_text(res.get("medicationCodeableConcept")) or res.get("title")
            or res["resourceType"])
    parts = [str(what)]
    value = res.get("valueQuantity")
    if isinstance(value, dict) and "value" in value:
        parts.append(f"{value['value']} {value.get('unit') or value.get('code') or ''}".strip())
    elif isinstance(res.get("valueString"), str):
        parts.append(res["valueString"])
    when = ss.care_date(res)
    if when:
        parts.append(when[:10])
    return " — ".join(parts)


def _list(labels: list[str], total: int | None, shown: int) -> str:
    items = "".join(f"<li>{html.escape(label)}</li>" for label in labels)
    note = f"<p>The {shown} most recent of {total}.</p>" if total is not None and total > shown else ""
    return f"<div {XHTML}><ul>{items}</ul>{note}</div>"
