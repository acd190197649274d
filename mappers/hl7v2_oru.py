"""Laboratory results as HL7 v2.5 ``ORU^R01`` messages -> DiagnosticReport + Observations.

docs/architecture.md, "The card as FHIR": lab results are "DiagnosticReport (LAB) + Observation (LOINC where known)".
The mapping follows the HL7 V2-to-FHIR implementation guide (segment maps OBR -> DiagnosticReport,
OBX -> Observation, PID -> Patient):

* MSH-4 (sending facility) is the laboratory: an Organization keyed by its EMC lab code, the
  performer of every report and result, and the scope of the order numbers;
* PID-3 carries the MHI policy number (assigning authority ``MHI`` or identifier type ``JHN``)
  and optionally SNILS (``SNILS`` or ``SB``); PID-5/7/8 name, birth date and sex;
* each OBR is a DiagnosticReport (category LAB, v2 table 0074) identified by its filler order
  number (OBR-3, else ORC-3), coded by OBR-4, effective OBR-7, issued OBR-22, status OBR-25;
  NTE segments after it become its ``conclusion``;
* each OBX of that OBR is an Observation: OBX-3 code (LOINC when the coding system is ``LN``),
  OBX-5 value by the type in OBX-2 (NM and SN -> valueQuantity with the UCUM code of OBX-6 when
  known; ST, TX, FT -> valueString; CE, CWE -> valueCodeableConcept), OBX-7 reference range,
  OBX-8 abnormal flags -> v3 ObservationInterpretation, OBX-11 status, OBX-14 time; NTE after it
  -> ``note``.

PV1, ORC (beyond its order numbers), SPM and Z-segments are read past. One message gives one
transaction Bundle; a file may hold several messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import emc_profiles as profiles
from . import identifiers as ids
from . import terminology as t
from .bundle import TransactionBuilder, full_url, identifier, reference
from .dates import date_only, from_hl7
from .errors import MappingError
from .hl7v2_reader import Message, Segment, decode, parse_message, split_messages
from .hl7v2_values import coded, observation_value, reference_range
from .resources import Person, add_organization, add_patient

VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")
SEXES = {"M": "male", "F": "female", "O": "other", "A": "other", "U": "unknown", "N": "unknown"}
LAB_CATEGORY = t.concept(t.V2_0074, "LAB", "Laboratory")
OBS_CATEGORY = t.concept(t.OBSERVATION_CATEGORY, "laboratory", "Laboratory")
ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


def map_oru_message(message: str | bytes) -> dict[str, Any]:
    """One ORU^R01 message (segments separated by CR, LF or CRLF) -> a transaction Bundle."""
    bundles = map_oru_messages(message)
    if len(bundles) != 1:
        raise MappingError(f"expected one message, found {len(bundles)}")
    return bundles[0]


def map_oru_messages(source: str | bytes) -> list[dict[str, Any]]:
    """Every message of an HL7 v2 text (a file's content) -> one Bundle each."""
    text = decode(source) if isinstance(source, bytes) else source
    bundles = []
    for number, lines in enumerate(split_messages(text), start=1):
        message = parse_message(lines, number)
        try:
            bundles.append(_map(message))
        except MappingError as exc:
            raise exc.within(where=message.label) from None
    return bundles


def map_oru_file(path: Path) -> list[dict[str, Any]]:
    """An HL7 v2 file of ORU^R01 messages -> one Bundle per message; errors name the file."""
    try:
        return map_oru_messages(path.read_bytes())
    except MappingError as exc:
        raise exc.within(path.name) from None


def _map(message: Message) -> dict[str, Any]:
    msh = message.msh
    if (msh.get(9, 1), msh.get(9, 2)) != ("ORU", "R01"):
        raise msh.error(9, f"message type {msh.get(9, 1)}^{msh.get(9, 2)} is not ORU^R01")
    if msh.get(12) not in VERSIONS:
        raise msh.error(12, f"HL7 version {msh.get(12)!r} is not one of {', '.join(VERSIONS)}")
    lab_code = _checked(msh, 4, ids.org_code, msh.get(4), "laboratory code")
    tx = TransactionBuilder()
    pids = [s for s in message.segments if s.name == "PID"]
    if len(pids) != 1:
        raise msh.error(None, f"an ORU^R01 message needs one PID segment, it has {len(pids)}")
    patient = _patient(tx, pids[0])
    lab = add_organization(tx, ids.LAB, lab_code)
    for group in _order_groups(message):
        _report(tx, group, lab_code, patient, lab)
    return tx.bundle()


def _checked(segment: Segment, number: int, check: Any, value: str, what: str) -> str:
    if not value:
        raise segment.error(number, f"no {what}")
    try:
        return str(check(value))
    except MappingError as exc:
        raise segment.error(number, exc.detail) from None


def _patient(tx: TransactionBuilder, pid: Segment) -> str:
    mhi = snils = None
    for rep in range(1, pid.repetitions(3) + 1):
        authority, kind, value = pid.get(3, 4, rep).upper(), pid.get(3, 5, rep).upper(), pid.get(3, 1, rep)
        if authority == "MHI" or kind == "JHN":
            mhi = _checked(pid, 3, ids.mhi, value, "MHI policy number")
        elif authority == "SNILS" or kind == "SB":
            snils = _checked(pid, 3, ids.snils, value, "SNILS")
    if mhi is None:
        raise pid.error(3, "no MHI policy number (a repetition with assigning authority MHI or type JHN)")
    name = Person(pid.get(5, 1), pid.get(5, 2) or None, pid.get(5, 3) or None) if pid.get(5, 1) else None
    birth = _date(pid, 7)
    sex = pid.get(8).upper()
    if sex and sex not in SEXES:
        raise pid.error(8, f"sex {sex!r} is not in HL7 table 0001")
    return add_patient(tx, mhi, name, birth_date=date_only(birth) if birth else None,
                       gender=SEXES.get(sex), snils=snils)


def _date(segment: Segment, number: int) -> str | None:
    value = segment.get(number)
    if not value:
        return None
    try:
        return from_hl7(value)
    except MappingError as exc:
        raise segment.error(number, exc.detail) from None


@dataclass
class _Order:
    """One order group of the message: its ORC (if any), OBR, the OBX with their NTE, the OBR's NTE."""

    orc: Segment | None
    obr: Segment
    results: list[tuple[Segment, list[Segment]]] = field(default_factory=list)
    notes: list[Segment] = field(default_factory=list)


def _order_groups(message: Message) -> list[_Order]:
    """The order groups in message order (HL7 v2.5 ORU^R01 structure, chapter 7.3.1)."""
    orders: list[_Order] = []
    orc: Segment | None = None
    last: str | None = None
    for segment in message.segments[1:]:
        if segment.name == "ORC":
            orc = segment
        elif segment.name == "OBR":
            orders.append(_Order(orc, segment))
            orc = None  # an ORC belongs to the OBR right after it
        elif segment.name == "OBX":
            if not orders:
                raise segment.error(None, "OBX before any OBR")
            orders[-1].results.append((segment, []))
        elif segment.name == "NTE" and last == "OBX":
            orders[-1].results[-1][1].append(segment)
        elif segment.name == "NTE" and last == "OBR":
            orders[-1].notes.append(segment)
        if segment.name != "NTE":
            last = segment.name
    if not orders:
        raise message.msh.error(None, "the message has no OBR segment")
    return orders


def _report(tx: TransactionBuilder, order: _Order, lab_code: str, patient: str, lab: str) -> None:
    orc, obr, results, notes = order.orc, order.obr, order.results, order.notes
    filler = obr.get(3) or (orc.get(3) if orc else "")
    filler = _checked(obr, 3, lambda v: ids.local_id(v, "filler order number"), filler,
                      "filler order number (OBR-3 or ORC-3)")
    order_value = ids.scoped(lab_code, filler)
    effective = _date(obr, 7)
    issued = _date(obr, 22)
    code = coded(obr, 4)
    observations = [_observation(obx, obx_notes, order_value, patient, lab, effective, issued)
                    for obx, obx_notes in results]
    report: dict[str, Any] = {"resourceType": "DiagnosticReport",
                              "identifier": [identifier(ids.LAB_ORDER, order_value,
                                                        type=t.concept(t.V2_0203, "FILL", "Filler Identifier"))]}
    placer = obr.get(2) or (orc.get(2) if orc else "")
    if placer:
        report["identifier"].append({"type": t.concept(t.V2_0203, "PLAC", "Placer Identifier"), "value": placer})
    status = obr.get(25).upper()
    if status and status not in t.REPORT_STATUS:
        raise obr.error(25, f"result status {status!r} is not in HL7 table 0123")
    report |= {"status": t.REPORT_STATUS.get(status, "unknown"), "category": [LAB_CATEGORY], "code": code,
               "subject": reference(patient)}
    if effective:
        report["effectiveDateTime"] = effective
    if issued and "T" in issued:
        report["issued"] = issued
    report["performer"] = [reference(lab)]
    if effective:  # emc-lab-report needs the collection time (OBR-7)
        report = profiles.claim(report, profiles.LAB_REPORT)
    if observations:
        report["result"] = [reference(full_url("Observation", ids.LAB_RESULT, value))
                            for _, _, value in observations]
    conclusion = "\n".join(n.get(3) for n in notes if n.get(3))
    if conclusion:
        report["conclusion"] = conclusion
    tx.add(report, ids.LAB_ORDER, order_value)
    for obx, observation, value in observations:
        try:
            tx.add(observation, ids.LAB_RESULT, value)
        except MappingError as exc:
            raise obx.error(3, f"{exc.detail} (give repeated tests different OBX-4 sub-ids)") from None


def _observation(obx: Segment, notes: list[Segment], order_value: str, patient: str, lab: str,
                 effective: str | None, issued: str | None) -> tuple[Segment, dict[str, Any], str]:
    """The Observation of one OBX with its identifier value (added to the Bundle by the caller)."""
    code = coded(obx, 3)
    local = obx.get(3, 1)
    if not local:
        raise obx.error(3, "no test code (OBX-3.1)")
    status = obx.get(11).upper()
    if status not in t.OBSERVATION_STATUS:
        raise obx.error(11, f"observation status {status!r} is not in HL7 table 0085" if status
                        else "no observation result status")
    observation: dict[str, Any] = {"resourceType": "Observation"}
    value = ids.scoped(order_value, local, *([obx.get(4)] if obx.get(4) else []))
    observation["identifier"] = [identifier(ids.LAB_RESULT, value)]
    observation |= {"status": t.OBSERVATION_STATUS[status], "category": [OBS_CATEGORY], "code": code,
                    "subject": reference(patient)}
    when = _date(obx, 14) or effective
    if when:  # emc-lab-observation needs the time (OBX-14 or OBR-7)
        observation = profiles.claim(observation, profiles.LAB_OBSERVATION)
        observation["effectiveDateTime"] = when
    if issued and "T" in issued:
        observation["issued"] = issued
    observation["performer"] = [reference(lab)]
    observation |= observation_value(obx)
    if not any(k.startswith("value") for k in observation):
        reason = ("not-performed", "Not Performed") if status in ("X", "N") else ("unknown", "Unknown")
        observation["dataAbsentReason"] = t.concept(ABSENT, *reason)
    interpretation = _interpretation(obx)
    if interpretation:
        observation["interpretation"] = interpretation
    if obx.get(7):
        observation["referenceRange"] = [reference_range(obx)]
    note = [{"text": n.get(3)} for n in notes if n.get(3)]
    if note:
        observation["note"] = note
    return obx, observation, value


def _interpretation(obx: Segment) -> list[dict[str, Any]]:
    out = []
    for rep in range(1, obx.repetitions(8) + 1):
        flag = obx.get(8, 1, rep)
        if not flag:
            continue
        if flag not in t.INTERPRETATIONS:
            raise obx.error(8, f"abnormal flag {flag!r} is not in HL7 table 0078")
        out.append(t.concept(t.INTERPRETATION, flag, t.INTERPRETATIONS[flag]))
    return out
