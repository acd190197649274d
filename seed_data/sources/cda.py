"""Hospital discharge summaries (выписной эпикриз) as HL7 CDA R2 documents.

The header names the patient by MHI number (our system's UUID as ``II.root``) and SNILS (the
official OID 1.2.643.100.3), the ward doctor as author, the head of department as legal
authenticator, the hospital as custodian (the ``clinic`` system's UUID) and the stay as the
encompassing encounter (admission and discharge). The body has the sections a Russian epicrisis has:
final diagnosis, course, studies, treatment, recommendations, each with its LOINC section code.
Built with lxml, so every text is escaped correctly.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from mappers import identifiers as ids
from mappers import terminology as t

from ..events import Stay
from ..moscow import ORGANIZATIONS, Doctor
from ..people import Person

V3 = "urn:hl7-org:v3"
LOINC_OID = "2.16.840.1.113883.6.1"
ROOTS = {s.name: s.uuid for s in ids.SYSTEMS}
KINDS = {"main": "Основной", "secondary": "Сопутствующий", "complication": "Осложнение"}


def _el(parent: etree._Element | None, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.Element(f"{{{V3}}}{tag}", nsmap={None: V3}) if parent is None else \
        etree.SubElement(parent, f"{{{V3}}}{tag}")
    for key, value in attrs.items():
        node.set(key, value)
    if text is not None:
        node.text = text
    return node


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M+0300")


def _name(parent: etree._Element, family: str, *given: str) -> None:
    name = _el(parent, "name")
    _el(name, "family", family)
    for g in given:
        _el(name, "given", g)


def _person(parent: etree._Element, tag: str, doc: Doctor) -> None:
    assigned = _el(parent, tag)
    _el(assigned, "id", root=ids.SNILS_OID, extension=doc.snils)
    _name(_el(assigned, "assignedPerson"), doc.family, doc.given, doc.patronymic)


def document(person: Person, stay: Stay) -> bytes:
    """The CDA XML of one discharge summary (UTF-8 bytes)."""
    root = _el(None, "ClinicalDocument")
    _el(root, "realmCode", code="RU")
    _el(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    _el(root, "id", root=ROOTS["discharge-summary"], extension=f"ЭП-{stay.number}")
    _el(root, "code", code=t.DOC_DISCHARGE_SUMMARY[0], codeSystem=LOINC_OID, displayName="Discharge summary")
    _el(root, "title", "Выписной эпикриз")
    _el(root, "effectiveTime", value=_ts(stay.discharged))
    _el(root, "confidentialityCode", code="N", codeSystem="2.16.840.1.113883.5.25")
    _el(root, "languageCode", code="ru-RU")
    role = _el(_el(root, "recordTarget"), "patientRole")
    _el(role, "id", root=ids.MHI_ROOT, extension=person.mhi)
    _el(role, "id", root=ids.SNILS_OID, extension=person.snils)
    addr = _el(role, "addr")
    _el(addr, "streetAddressLine", person.address.line)
    _el(addr, "city", "Москва")
    _el(addr, "postalCode", person.address.district.postal_code)
    patient = _el(role, "patient")
    _name(patient, person.family, person.given, person.patronymic)
    _el(patient, "administrativeGenderCode", code="M" if person.sex == "male" else "F",
        codeSystem="2.16.840.1.113883.5.1")
    _el(patient, "birthTime", value=person.birth.strftime("%Y%m%d"))
    author = _el(root, "author")
    _el(author, "time", value=_ts(stay.discharged))
    _person(author, "assignedAuthor", stay.doctor)
    org = _el(_el(_el(root, "custodian"), "assignedCustodian"), "representedCustodianOrganization")
    _el(org, "id", root=ROOTS["clinic"], extension=stay.hospital)
    _el(org, "name", ORGANIZATIONS[stay.hospital].name)
    legal = _el(root, "legalAuthenticator")
    _el(legal, "time", value=_ts(stay.discharged))
    _el(legal, "signatureCode", code="S")
    _person(legal, "assignedEntity", stay.head)
    encounter = _el(_el(root, "componentOf"), "encompassingEncounter")
    _el(encounter, "id", root=ROOTS["hospital-stay"], extension=f"ИБ-{stay.number}")
    period = _el(encounter, "effectiveTime")
    _el(period, "low", value=_ts(stay.admitted))
    _el(period, "high", value=_ts(stay.discharged))
    body = _el(_el(root, "component"), "structuredBody")
    diagnosis = "\n".join(f"{KINDS[d.kind]}: {d.icd10} {d.text}" for d in stay.diagnoses)
    for (code, _), title, text, as_list in (
        (t.SECTION_DISCHARGE_DIAGNOSIS, "Заключительный клинический диагноз", diagnosis, False),
        (t.SECTION_HOSPITAL_COURSE, "Течение заболевания и пребывание в стационаре", stay.course, False),
        (t.SECTION_DISCHARGE_STUDIES, "Результаты обследования", stay.studies, False),
        (t.SECTION_TREATMENT, "Проведённое лечение", stay.treatment, True),
        (t.SECTION_DISCHARGE_INSTRUCTIONS, "Рекомендации", stay.recommendations, True),
    ):
        section = _el(_el(body, "component"), "section")
        _el(section, "code", code=code, codeSystem=LOINC_OID)
        _el(section, "title", title)
        narrative = _el(section, "text")
        holder = _el(narrative, "list") if as_list else narrative
        for line in text.splitlines():
            _el(holder, "item" if as_list else "paragraph", line)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
