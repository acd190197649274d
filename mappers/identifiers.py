"""Identifier systems of the EMC and checks of the values the sources put in them.

The MHI policy number, SNILS and passport have NamingSystem URIs of our own, declared in profiles/
(docs/profiles.md); no official OID is invented. Every system here is a URI under
``https://emc.mos.ru/fhir/sid/`` and is declared as ``profiles/NamingSystem-<name>.json``
(written by :mod:`mappers.naming_systems` from :data:`SYSTEMS`; a test keeps the two in step).

Where a format can only carry an OID or UUID as an identifier root (CDA ``II.root``), a system is
named by the name-based UUID of its URI (RFC 4122 section 4.3, ``uuid5(NAMESPACE_URL, uri)``),
which each NamingSystem also lists as a ``uuid`` uniqueId. The one official OID the mappers
recognise is the SNILS OID ``1.2.643.100.3`` that Russian structured medical documents (SEMD)
use; it is read, never minted.

The business identifiers of clinical records (visits, orders, results...) are scoped by the
organisation that issued them: their value is ``<organisation code>/<local id>``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from .errors import MappingError

BASE = "https://emc.mos.ru/fhir/sid/"


@dataclass(frozen=True)
class IdSystem:
    """One identifier system: ``name`` is the last URI segment and the NamingSystem file name."""

    name: str
    title: str
    description: str
    type_code: str | None = None  # http://terminology.hl7.org/CodeSystem/v2-0203
    example: str = ""

    @property
    def uri(self) -> str:
        return BASE + self.name

    @property
    def uuid(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, self.uri))


SYSTEMS: tuple[IdSystem, ...] = (
    IdSystem("mhi", "Единый номер полиса ОМС (MHI policy number)",
             "The 16-digit unified number of a compulsory medical insurance (MHI, ОМС) policy; "
             "the key of a resident's card.", "JHN", "7700000000000019"),
    IdSystem("snils", "СНИЛС (individual insurance account number)",
             "The 11-digit number of a person's individual account in the Social Fund of Russia, "
             "written without separators; the check digits are verified.", "SB", "11223344595"),
    IdSystem("passport", "Паспорт гражданина РФ (passport of a citizen of Russia)",
             "Series (4 digits) and number (6 digits) of the internal passport, written as 10 "
             "digits without spaces.", "PPN", "4510123456"),
    IdSystem("clinic", "Код медицинской организации (medical organisation code)",
             "The code of a Moscow medical organisation (polyclinic, hospital, diagnostic centre) "
             "in the EMC registry.", "XX", "0112"),
    IdSystem("lab", "Код лаборатории (laboratory code)",
             "The code of a laboratory as it signs its HL7 v2 messages (MSH-4 sending facility).",
             "XX", "CDL01"),
    IdSystem("visit", "Посещение (outpatient visit)",
             "An outpatient visit: <clinic code>/<visit id in the clinic's information system>.",
             "VN", "0112/V-2024-778812"),
    IdSystem("exam-protocol", "Протокол осмотра (examination protocol)",
             "A clinic examination protocol: <clinic code>/<protocol id>.", None, "0112/P-2024-000123"),
    IdSystem("diagnosis", "Диагноз посещения (diagnosis of a visit or stay)",
             "A diagnosis recorded at a visit: <clinic code>/<visit id>/<ICD-10 code>.", None,
             "0112/V-2024-778812/I11.9"),
    IdSystem("lab-order", "Заказ лаборатории (laboratory order, filler number)",
             "A laboratory order as numbered by the laboratory (OBR-3 filler order number): "
             "<laboratory code>/<filler number>.", "FILL", "CDL01/240312-0457"),
    IdSystem("lab-result", "Результат лабораторного теста (laboratory result)",
             "One result of a laboratory order: <laboratory code>/<filler number>/<test code>"
             "[/<sub-id>].", None, "CDL01/240312-0457/718-7"),
    IdSystem("hospital-stay", "Госпитализация (hospital stay, case history number)",
             "An inpatient stay: <hospital code>/<case history number>.", "VN", "0501/ИБ-2024-01731"),
    IdSystem("discharge-summary", "Выписной эпикриз (discharge summary)",
             "A discharge summary document: <hospital code>/<document number>.", None,
             "0501/ЭП-2024-01731"),
    IdSystem("accession", "Номер исследования (radiology accession number)",
             "The accession number of a radiology study in the city's radiology information system.",
             "ACSN", "RIS-2024-5531207"),
    IdSystem("radiology-report", "Протокол лучевого исследования (radiology report)",
             "The radiologist's report of a study, named by the study's DICOM Study Instance UID.",
             None, "1.2.826.0.1.3680043.8.498.12345"),
    IdSystem("instrumental-report", "Инструментальное исследование (instrumental study report)",
             "An ECG, endoscopy or other instrumental study: <clinic code>/<study id>.", None,
             "0112/ECG-2024-004417"),
    IdSystem("instrumental-result", "Измерение инструментального исследования (instrumental measurement)",
             "One measurement of an instrumental study: <clinic code>/<study id>/<LOINC code>.", None,
             "0112/ECG-2024-004417/8867-4"),
)

_BY_NAME = {s.name: s for s in SYSTEMS}


def system(name: str) -> str:
    """The URI of the identifier system called ``name`` (e.g. ``"mhi"``)."""
    return _BY_NAME[name].uri


MHI = system("mhi")
SNILS = system("snils")
PASSPORT = system("passport")
CLINIC = system("clinic")
LAB = system("lab")
VISIT = system("visit")
EXAM_PROTOCOL = system("exam-protocol")
DIAGNOSIS = system("diagnosis")
LAB_ORDER = system("lab-order")
LAB_RESULT = system("lab-result")
HOSPITAL_STAY = system("hospital-stay")
DISCHARGE_SUMMARY = system("discharge-summary")
ACCESSION = system("accession")
RADIOLOGY_REPORT = system("radiology-report")
INSTRUMENTAL_REPORT = system("instrumental-report")
INSTRUMENTAL_RESULT = system("instrumental-result")

MHI_ROOT = _BY_NAME["mhi"].uuid
"""The ``II.root`` that marks an MHI policy number in a CDA document."""

SNILS_OID = "1.2.643.100.3"
"""The official OID of SNILS, used as ``II.root`` by SEMD documents (recognised, not minted)."""

ROOTS: dict[str, str] = {s.uuid: s.uri for s in SYSTEMS} | {SNILS_OID: SNILS}
"""CDA ``II.root`` values (UUIDs of our systems, the SNILS OID) -> identifier system URI."""


def mhi(value: str) -> str:
    """A unified MHI policy number: 16 digits (spaces tolerated). The check digit is not verified."""
    digits = re.sub(r"\s", "", value)
    if not re.fullmatch(r"\d{16}", digits):
        raise MappingError(f"{value!r} is not an MHI policy number (16 digits)")
    return digits


def snils(value: str) -> str:
    """An 11-digit SNILS (``123-456-789 01`` accepted) whose check number is right.

    The check number is the sum of the first nine digits weighted 9..1, taken modulo 101 with 100
    written as 00; it is defined only for numbers above 001-001-998.
    """
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{11}", digits):
        raise MappingError(f"{value!r} is not a SNILS (11 digits)")
    if int(digits[:9]) > 1001998 and int(digits[9:]) != snils_check(digits[:9]):
        raise MappingError(f"SNILS {value!r} has a wrong check number")
    return digits


def snils_check(first_nine: str) -> int:
    """The two check digits of a SNILS from its first nine digits."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(9, 0, -1), strict=True))
    return total % 101 % 100


def passport(value: str) -> str:
    """A Russian internal passport, series and number, as 10 digits."""
    digits = re.sub(r"[\s№-]", "", value)
    if not re.fullmatch(r"\d{10}", digits):
        raise MappingError(f"{value!r} is not a passport series and number (10 digits)")
    return digits


def org_code(value: str, what: str = "organisation code") -> str:
    """An organisation code: the scope of the identifiers it issues, so it may not contain '/'."""
    text = value.strip()
    if not re.fullmatch(r"[^/|\s]{1,64}", text):
        raise MappingError(f"{value!r} is not a usable {what} (1-64 characters, no spaces, '/' or '|')")
    return text


def local_id(value: str, what: str) -> str:
    """A record id issued by an organisation (visit, order, document number...)."""
    text = value.strip()
    if not text or len(text) > 128 or "|" in text or any(ord(c) < 32 for c in text):
        raise MappingError(f"{value!r} is not a usable {what} (1-128 characters, no '|')")
    return text


def scoped(*parts: str) -> str:
    """The value of a scoped identifier: ``<organisation>/<id>[/<more>...]``."""
    return "/".join(parts)
