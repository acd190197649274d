"""Hospital discharge summary as an HL7 CDA R2 document -> inpatient Encounter + Composition.

docs/architecture.md, "The card as FHIR": a discharge (epicrisis) is "Encounter (IMP) + Composition (discharge summary
document)". Russian structured medical documents (SEMD) are CDA R2 documents, so the mapper reads
the CDA R2 header and body (HL7 CDA R2, ANSI/HL7 CDA R2-2005) as the CDA-on-FHIR guide maps them:

* ``recordTarget/patientRole`` -> Patient, found by the MHI policy number id (root = the UUID of
  our ``mhi`` NamingSystem) and optionally SNILS (root ``1.2.643.100.3``);
* ``author`` -> Composition.author, ``legalAuthenticator`` -> Composition.attester (mode legal):
  Practitioners found by SNILS; ``custodian`` -> Composition.custodian and the hospital;
* ``componentOf/encompassingEncounter`` -> Encounter, class IMP (v3 ActCode), period from
  ``effectiveTime/low`` and ``high`` (admission and discharge);
* the document -> Composition, type LOINC 18842-5 "Discharge summary" (the document's own code
  kept as a second coding), identifier from ``ClinicalDocument/id``, date from ``effectiveTime``;
* each ``structuredBody`` section -> Composition.section with its code, title and narrative, the
  narrative preserved as the section's XHTML div (:mod:`mappers.cda_narrative`), nested sections
  nested. A discharge summary must have the hospital course (LOINC 8648-8) and the discharge
  instructions (8653-8 or 18776-5); studies (11493-4), consultations (18841-7), treatment
  (29549-3) and any other sections are mapped when present.

The Encounter claims the ``emc-encounter`` profile and the Composition ``emc-discharge-summary``,
which requires the studies, consultations, treatment and discharge instructions (8653-8)
sections. A document without one of the first three gets it as an empty section: ``emptyReason``
``notasked`` (list-empty-reason: the document does not say; ``nilknown`` would be a clinician's
statement that there was nothing, which a converter cannot make) and a short narrative saying
the source lacks it (cmp-1: a section has text, entries or sub-sections). Instructions given as a
plan of care (18776-5) get 8653-8 as a second coding of that section.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from . import emc_profiles as profiles
from . import identifiers as ids
from . import terminology as t
from .bundle import TransactionBuilder, identifier, reference
from .cda_narrative import xhtml_div
from .cda_types import NS, NSMAP, cd, error, find, ids_of, need, person, text_of, ts
from .dates import date_only
from .errors import MappingError
from .resources import add_organization, add_patient, add_practitioner, narrative

GENDERS = {"M": "male", "F": "female", "UN": "unknown"}
CONFIDENTIALITY = {"U", "L", "M", "N", "R", "V"}  # v3 ConfidentialityClassification (required binding)
REQUIRED_SECTIONS = {"hospital course": {t.SECTION_HOSPITAL_COURSE[0]},
                     "discharge instructions": {t.SECTION_DISCHARGE_INSTRUCTIONS[0], t.SECTION_PLAN[0]}}
EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
EMPTY = t.concept(EMPTY_REASON, "unavailable", "Unavailable")  # a section the document has, without text
EMPTY_TEXT = "Раздел в исходном документе пуст."
NOT_IN_SOURCE = t.concept(EMPTY_REASON, "notasked", "Not Asked")  # a section the document does not have
NOT_IN_SOURCE_TEXT = "Раздел отсутствует в исходном документе."
PROFILE_SECTIONS = (  # emc-discharge-summary requires them; added empty when the document lacks them
    (t.SECTION_DISCHARGE_STUDIES, "Результаты обследования"),
    (t.SECTION_CONSULTATIONS, "Консультации специалистов"),
    (t.SECTION_TREATMENT, "Проведённое лечение"),
)
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=False)
SCOPED = {ids.HOSPITAL_STAY, ids.DISCHARGE_SUMMARY}


def map_discharge_summary(document: str | bytes | etree._Element) -> dict[str, Any]:
    """A CDA R2 discharge summary (XML text or a parsed root element) -> a transaction Bundle."""
    root = parse(document) if isinstance(document, (str, bytes)) else document
    if root.tag != f"{{{NS}}}ClinicalDocument":
        raise error(root, "the root element is not a CDA ClinicalDocument in the urn:hl7-org:v3 namespace")
    tx = TransactionBuilder()
    patient = _patient(tx, need(root, "v3:recordTarget/v3:patientRole", "patient"))
    hospital_code, hospital = _custodian(tx, need(root, "v3:custodian/v3:assignedCustodian/"
                                                      "v3:representedCustodianOrganization", "custodian"))
    authors = [_practitioner(tx, need(a, "v3:assignedAuthor", "assigned author"))
               for a in root.findall("v3:author", NSMAP)]
    if not authors:
        raise error(root, "no author")
    encounter = _encounter(tx, need(root, "v3:componentOf/v3:encompassingEncounter", "encompassing encounter"),
                           hospital_code, patient, hospital)
    _composition(tx, root, hospital_code, patient, encounter, hospital, authors)
    return tx.bundle()


def map_discharge_file(path: Path) -> list[dict[str, Any]]:
    """A CDA file -> its one Bundle; errors name the file."""
    try:
        return [map_discharge_summary(path.read_bytes())]
    except MappingError as exc:
        raise exc.within(path.name) from None


def parse(document: str | bytes) -> etree._Element:
    """Parse CDA XML without resolving entities or fetching DTDs (no XXE)."""
    data = document.encode("utf-8") if isinstance(document, str) else document
    try:
        return etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise MappingError(f"not well-formed XML: {exc.msg}", line=exc.lineno) from None


def _scoped(system: str, value: str, hospital_code: str | None, element: etree._Element) -> str:
    if system not in SCOPED:
        return value
    if hospital_code is None:
        raise error(element, "an id in an EMC record system needs a custodian with an EMC clinic code")
    return ids.scoped(hospital_code, value)


def _checked(element: etree._Element, check: Any, value: str) -> str:
    try:
        return str(check(value))
    except MappingError as exc:
        raise error(element, exc.detail) from None


def _patient(tx: TransactionBuilder, role: etree._Element) -> str:
    found = ids_of(role)
    if ids.MHI not in found:
        raise error(role, f"no MHI policy number id (root {ids.MHI_ROOT})")
    mhi = _checked(found[ids.MHI][1], ids.mhi, found[ids.MHI][0])
    snils = _checked(found[ids.SNILS][1], ids.snils, found[ids.SNILS][0]) if ids.SNILS in found else None
    patient = need(role, "v3:patient", "patient")
    gender_code = find(patient, "v3:administrativeGenderCode")
    gender = None
    if gender_code is not None and gender_code.get("code"):
        if gender_code.get("code") not in GENDERS:
            raise error(gender_code, f"gender {gender_code.get('code')!r} is not M, F or UN")
        gender = GENDERS[gender_code.get("code")]
    birth = find(patient, "v3:birthTime")
    birth_date = date_only(ts(birth)) if birth is not None and birth.get("value") else None
    return add_patient(tx, mhi, person(find(patient, "v3:name")), birth_date=birth_date, gender=gender,
                       snils=snils)


def _custodian(tx: TransactionBuilder, organization: etree._Element) -> tuple[str | None, str]:
    found = ids_of(organization)
    if not found:
        raise error(organization, "no id")
    system = ids.CLINIC if ids.CLINIC in found else next(iter(found))  # our code first: it scopes record ids
    value, element = found[system]
    code = _checked(element, ids.org_code, value) if system == ids.CLINIC else None
    return code, add_organization(tx, system, code or value, text_of(find(organization, "v3:name")))


def _practitioner(tx: TransactionBuilder, assigned: etree._Element) -> str:
    found = ids_of(assigned)
    if ids.SNILS not in found:
        raise error(assigned, f"no SNILS id (root {ids.SNILS_OID})")
    snils = _checked(found[ids.SNILS][1], ids.snils, found[ids.SNILS][0])
    return add_practitioner(tx, snils, person(find(assigned, "v3:assignedPerson/v3:name")))


def _encounter(tx: TransactionBuilder, encounter: etree._Element, hospital_code: str | None, patient: str,
               hospital: str) -> str:
    found = ids_of(encounter)
    if not found:
        raise error(encounter, "no id (the case history number)")
    system, (value, element) = next(iter(found.items()))
    value = _scoped(system, value, hospital_code, element)
    period = {"start": ts(need(encounter, "v3:effectiveTime/v3:low", "admission time")),
              "end": ts(need(encounter, "v3:effectiveTime/v3:high", "discharge time"))}
    if _before(period["end"], period["start"]):
        raise error(encounter, f"discharge {period['end']} is before admission {period['start']}")
    resource = {
        "resourceType": "Encounter",
        "meta": {"profile": [profiles.ENCOUNTER]},
        "identifier": [identifier(system, value)],
        "status": "finished",
        "class": t.coding(t.ACT_CODE, "IMP", "inpatient encounter"),
        "subject": reference(patient),
        "period": period,
        "serviceProvider": reference(hospital),
    }
    return tx.add(resource, system, value)


def _before(later: str, earlier: str) -> bool:
    """Whether FHIR dateTime ``later`` is before ``earlier`` (compared at the coarser precision)."""
    if "T" in later and "T" in earlier:
        return datetime.fromisoformat(later) < datetime.fromisoformat(earlier)
    return date_only(later) < date_only(earlier)


def _composition(tx: TransactionBuilder, root: etree._Element, hospital_code: str | None, patient: str,
                 encounter: str, hospital: str, authors: list[str]) -> None:
    id_element = need(root, "v3:id", "document id")
    found = ids_of(root)
    if not found:
        raise error(id_element, "the document id is null")
    system, (value, _) = next(iter(found.items()))
    value = _scoped(system, value, hospital_code, id_element)
    doc_type = t.concept(t.LOINC, *t.DOC_DISCHARGE_SUMMARY)
    own = cd(need(root, "v3:code", "document code"))["coding"][0]
    if (own["system"], own["code"]) != (t.LOINC, t.DOC_DISCHARGE_SUMMARY[0]):
        doc_type["coding"].append(own)
    title = text_of(find(root, "v3:title")) or "Выписной эпикриз"
    composition: dict[str, Any] = {
        "resourceType": "Composition",
        "meta": {"profile": [profiles.DISCHARGE_SUMMARY]},
        "identifier": identifier(system, value),
        "status": "final",
        "type": doc_type,
        "subject": reference(patient),
        "encounter": reference(encounter),
        "date": ts(need(root, "v3:effectiveTime", "effective time")),
        "author": [reference(a) for a in dict.fromkeys(authors)],
        "title": title,
    }
    confidentiality = find(root, "v3:confidentialityCode")
    if confidentiality is not None and confidentiality.get("code"):
        if confidentiality.get("code") not in CONFIDENTIALITY:
            raise error(confidentiality, f"confidentiality {confidentiality.get('code')!r} is not one of "
                                         f"{', '.join(sorted(CONFIDENTIALITY))}")
        composition["confidentiality"] = confidentiality.get("code")
    attester = _attester(tx, root)
    if attester:
        composition["attester"] = [attester]
    composition["custodian"] = reference(hospital)
    composition["section"] = _sections(root)
    tx.add(composition, system, value)


def _attester(tx: TransactionBuilder, root: etree._Element) -> dict[str, Any] | None:
    legal = find(root, "v3:legalAuthenticator")
    if legal is None:
        return None
    out: dict[str, Any] = {"mode": "legal"}
    time = find(legal, "v3:time")
    if time is not None and time.get("value"):
        out["time"] = ts(time)
    out["party"] = reference(_practitioner(tx, need(legal, "v3:assignedEntity", "assigned entity")))
    return out


def _sections(root: etree._Element) -> list[dict[str, Any]]:
    body = find(root, "v3:component/v3:structuredBody")
    if body is None:
        raise error(root, "no component/structuredBody: a discharge summary needs structured sections")
    sections = [_section(s) for s in body.findall("v3:component/v3:section", NSMAP)]
    codes = {c["code"] for s in sections for c in s.get("code", {}).get("coding", []) if c["system"] == t.LOINC}
    for name, accepted in REQUIRED_SECTIONS.items():
        if not codes & accepted:
            raise error(body, f"no {name} section (LOINC {' or '.join(sorted(accepted))})")
    instructions = t.SECTION_DISCHARGE_INSTRUCTIONS
    if instructions[0] not in codes:  # the plan of care (18776-5) is the discharge instructions
        plan = next(s for s in sections if _has_code(s, t.SECTION_PLAN[0]))
        plan["code"]["coding"].append(t.coding(t.LOINC, *instructions))
    for (code, display), title in PROFILE_SECTIONS:
        if code not in codes:
            sections.append({"title": title, "code": t.concept(t.LOINC, code, display),
                             "text": narrative(NOT_IN_SOURCE_TEXT, "generated"), "emptyReason": NOT_IN_SOURCE})
    return sections


def _has_code(section: dict[str, Any], code: str) -> bool:
    return any(c["system"] == t.LOINC and c["code"] == code for c in section.get("code", {}).get("coding", []))


def _section(section: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    title = text_of(find(section, "v3:title"))
    if title:
        out["title"] = title
    code = find(section, "v3:code")
    if code is not None and not code.get("nullFlavor"):
        out["code"] = cd(code)
    text = find(section, "v3:text")
    div = xhtml_div(text) if text is not None else None
    if div:
        out["text"] = {"status": "additional", "div": div}
    nested = [_section(s) for s in section.findall("v3:component/v3:section", NSMAP)]
    if nested:
        out["section"] = nested
    if not div and not nested:  # cmp-1: a section has text, entries or sub-sections
        out["text"] = narrative(EMPTY_TEXT, "generated")
        out["emptyReason"] = EMPTY
    return out
