"""Radiology: DICOM study metadata + the radiologist's conclusion -> ImagingStudy + DiagnosticReport.

docs/architecture.md, "The card as FHIR": radiology is "ImagingStudy + DiagnosticReport (RAD, conclusion)". The DICOM
attributes (PS3.3 Patient, General Study, General Series and SOP Common modules; PS3.4 C-FIND
study-level keys) map as FHIR R4 ImagingStudy documents (http://hl7.org/fhir/R4/imagingstudy.html):

* Study Instance UID (0020,000D) -> identifier ``urn:dicom:uid|urn:oid:<uid>``; Accession Number
  (0008,0050) -> identifier of type ACSN; Study Date/Time (0008,0020/0030) with Timezone Offset
  From UTC (0008,0201) -> ``started``; Study Description (0008,1030) -> ``description``;
* Patient ID (0010,0020) is the MHI policy number; Patient's Name, Birth Date and Sex fill the
  Patient created if the EMC does not know the resident yet;
* instances (datasets with a SOP Instance UID) are grouped into series: Series Instance UID,
  number, description, Modality (0008,0060, coded in DICOM DCM), Body Part Examined (0018,0015, as
  SNOMED CT by PS3.16 Annex L) and the instances with their SOP Class; counts come from Number of
  Study Related Series/Instances (0020,1206/1208) when given, otherwise from the instances;
* a study-level dataset (no SOP Instance UID, as a C-FIND response gives) needs Modalities in
  Study (0008,0061) instead of per-series modalities.

The conclusion text, when there is one, becomes a DiagnosticReport (category RAD from v2 table
0074, code LOINC 18748-4 "Diagnostic imaging study") that points at the ImagingStudy. Without a
conclusion the ImagingStudy alone is mapped: the report has not been written yet. Fluorography
arrives as DX (digital radiography) with its own study description.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pydicom
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.tag import Tag

from . import emc_profiles as profiles
from . import identifiers as ids
from . import terminology as t
from .bundle import TransactionBuilder, identifier, reference
from .dates import date_only, from_dicom
from .errors import MappingError
from .resources import Person, add_patient

UID = re.compile(r"[0-2](\.(0|[1-9]\d*))*")
SEXES = {"M": "male", "F": "female", "O": "other"}
TEXT_SUFFIXES = {".txt"}
SKIPPED = {"DICOMDIR"}


def map_dicom_study(datasets: Dataset | Iterable[Dataset], conclusion: str | None = None) -> dict[str, Any]:
    """The datasets of one study (instances and/or a study-level dataset) -> a transaction Bundle."""
    items = [datasets] if isinstance(datasets, Dataset) else list(datasets)
    if not items:
        raise MappingError("no DICOM datasets")
    study_uid = _uid(items[0], "StudyInstanceUID")
    for ds in items[1:]:
        if _uid(ds, "StudyInstanceUID") != study_uid:
            raise _error(ds, "StudyInstanceUID", f"belongs to another study than {study_uid}")
    first = items[0]
    tx = TransactionBuilder()
    patient = _patient(tx, first)
    started = _started(first)
    instances = [ds for ds in items if "SOPInstanceUID" in ds]
    studies = [ds for ds in items if "SOPInstanceUID" not in ds]
    study = _imaging_study(first, study_uid, patient, started, instances, studies[0] if studies else None)
    study_url = tx.add(study, "urn:dicom:uid", f"urn:oid:{study_uid}")
    if conclusion and conclusion.strip():
        tx.add(_report(first, study_uid, patient, started, study_url, conclusion.strip()),
               ids.RADIOLOGY_REPORT, study_uid)
    return tx.bundle()


def map_dicom_path(path: Path) -> list[dict[str, Any]]:
    """A DICOM file or a folder of them (one Bundle per study), with conclusions from text files.

    A file ``x.dcm`` takes its conclusion from ``x.txt`` beside it. In a folder, a study takes
    ``<StudyInstanceUID>.txt`` or ``<AccessionNumber>.txt``, or ``conclusion.txt`` when the folder
    holds one study. ``DICOMDIR`` files are skipped; any other file that is not DICOM is an error.
    """
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    texts = {p.stem: p for p in files if p.suffix.lower() in TEXT_SUFFIXES}
    if path.is_file():
        texts = {"conclusion": path.with_suffix(".txt")} if path.with_suffix(".txt").is_file() else {}
    studies: dict[str, list[Dataset]] = {}
    for file in files:
        if file.suffix.lower() in TEXT_SUFFIXES or file.name in SKIPPED:
            continue
        ds = _read(file)
        studies.setdefault(_uid(ds, "StudyInstanceUID"), []).append(ds)  # errors name the file
    if not studies:
        raise MappingError("no DICOM files", source=path.name)
    bundles = []
    for uid, datasets in sorted(studies.items()):
        accession = str(datasets[0].get("AccessionNumber") or "")
        text = texts.get(uid) or texts.get(accession) or (texts.get("conclusion") if len(studies) == 1 else None)
        conclusion = text.read_text(encoding="utf-8-sig") if text else None
        try:
            bundles.append(map_dicom_study(datasets, conclusion))
        except MappingError as exc:
            raise exc.within(path.name if exc.source is None else None) from None
    return bundles


def _read(file: Path) -> Dataset:
    try:
        return pydicom.dcmread(file, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
        raise MappingError(f"not a readable DICOM file: {exc}", source=file.name) from None


def _tag(keyword: str) -> str:
    tag = Tag(tag_for_keyword(keyword) or 0)
    return f"({tag.group:04X},{tag.element:04X}) {keyword}"


def _error(ds: Dataset, keyword: str, detail: str) -> MappingError:
    name = Path(str(ds.filename)).name if getattr(ds, "filename", None) else None
    return MappingError(detail, where=_tag(keyword), source=name)


def _text(ds: Dataset, keyword: str, required: bool = False) -> str | None:
    try:
        value = ds.get(keyword)
    except (ValueError, TypeError, UnicodeError) as exc:  # values are decoded when first read
        raise _error(ds, keyword, f"cannot be read: {exc}") from None
    text = str(value).strip() if value is not None else ""
    if not text and required:
        raise _error(ds, keyword, "missing")
    return text or None


def _uid(ds: Dataset, keyword: str) -> str:
    value = _text(ds, keyword, required=True) or ""
    if len(value) > 64 or not UID.fullmatch(value):
        raise _error(ds, keyword, f"{value!r} is not a DICOM UID")
    return value


def _checked(ds: Dataset, keyword: str, parse: Any, *values: str | None) -> Any:
    try:
        return parse(*values)
    except MappingError as exc:
        raise _error(ds, keyword, exc.detail) from None


def _patient(tx: TransactionBuilder, ds: Dataset) -> str:
    mhi = _checked(ds, "PatientID", ids.mhi, _text(ds, "PatientID", required=True))
    name = ds.get("PatientName")
    person = Person(name.family_name, name.given_name or None, name.middle_name or None) \
        if name is not None and name.family_name else None
    birth = _text(ds, "PatientBirthDate")
    birth_date = date_only(_checked(ds, "PatientBirthDate", from_dicom, birth)) if birth else None
    sex = _text(ds, "PatientSex")
    if sex and sex not in SEXES:
        raise _error(ds, "PatientSex", f"{sex!r} is not M, F or O")
    return add_patient(tx, mhi, person, birth_date=birth_date, gender=SEXES.get(sex or ""))


def _started(ds: Dataset) -> str:
    return str(_checked(ds, "StudyDate", from_dicom, _text(ds, "StudyDate", required=True), _text(ds, "StudyTime"),
                    _text(ds, "TimezoneOffsetFromUTC")))


def _modality(ds: Dataset, code: str, keyword: str) -> dict[str, Any]:
    if code not in t.MODALITIES:
        raise _error(ds, keyword, f"modality {code!r} is not one of {', '.join(t.MODALITIES)}")
    return t.coding(t.DICOM_DCM, code, t.MODALITIES[code])


def _count(ds: Dataset | None, keyword: str, counted: int) -> int:
    if ds is None or ds.get(keyword) in (None, ""):
        return counted
    try:
        return int(ds.get(keyword))
    except (TypeError, ValueError):
        raise _error(ds, keyword, f"{ds.get(keyword)!r} is not a count") from None


def _imaging_study(first: Dataset, uid: str, patient: str, started: str, instances: list[Dataset],
                   study_level: Dataset | None) -> dict[str, Any]:
    series = _series(instances)
    if series:
        modalities = list({s["modality"]["code"]: s["modality"] for s in series}.values())
    else:
        source = study_level if study_level is not None else first
        codes = source.get("ModalitiesInStudy") or source.get("Modality")
        if not codes:
            raise _error(source, "ModalitiesInStudy", "missing (and no instances give a Modality)")
        codes = [codes] if isinstance(codes, str) else list(codes)
        modalities = [_modality(source, str(c), "ModalitiesInStudy") for c in codes]
    modalities = [m for m in modalities if m["code"] not in t.NON_ACQUISITION]  # R4: acquisition ones only
    study: dict[str, Any] = {"resourceType": "ImagingStudy",
                             "identifier": [identifier("urn:dicom:uid", f"urn:oid:{uid}")]}
    if modalities:  # emc-imaging-study needs one (a study of only SR, KO or PR series has none)
        study = profiles.claim(study, profiles.IMAGING_STUDY)
    accession = _text(first, "AccessionNumber")
    if accession:
        study["identifier"].append(identifier(ids.ACCESSION, accession,
                                              type=t.concept(t.V2_0203, "ACSN", "Accession ID")))
    study["status"] = "available"
    if modalities:
        study["modality"] = modalities
    study |= {"subject": reference(patient), "started": started,
              "numberOfSeries": _count(study_level, "NumberOfStudyRelatedSeries", len(series)),
              "numberOfInstances": _count(study_level, "NumberOfStudyRelatedInstances", len(instances))}
    description = _text(first, "StudyDescription")
    if description:
        study["description"] = description
    if series:
        study["series"] = series
    return study


def _series(instances: list[Dataset]) -> list[dict[str, Any]]:
    grouped: dict[str, list[Dataset]] = {}
    for ds in instances:
        grouped.setdefault(_uid(ds, "SeriesInstanceUID"), []).append(ds)
    out = []
    for uid, members in grouped.items():
        head = members[0]
        item: dict[str, Any] = {"uid": uid}
        if _text(head, "SeriesNumber"):
            item["number"] = int(head.SeriesNumber)
        item["modality"] = _modality(head, _text(head, "Modality", required=True) or "", "Modality")
        if _text(head, "SeriesDescription"):
            item["description"] = _text(head, "SeriesDescription")
        item["numberOfInstances"] = len(members)
        body_part = _text(head, "BodyPartExamined")
        if body_part:
            code = t.BODY_PARTS.get(body_part.upper())
            item["bodySite"] = t.coding(t.SNOMED, *code) if code else {"display": body_part}
        item["instance"] = [_instance(ds) for ds in sorted(members, key=_instance_order)]
        out.append(item)
    return sorted(out, key=lambda s: (s.get("number", 0), s["uid"]))


def _instance_order(ds: Dataset) -> tuple[int, str]:
    number = _text(ds, "InstanceNumber")
    return (int(number) if number and number.lstrip("-").isdigit() else 0, str(ds.SOPInstanceUID))


def _instance(ds: Dataset) -> dict[str, Any]:
    out: dict[str, Any] = {"uid": _uid(ds, "SOPInstanceUID"),
                           "sopClass": t.coding("urn:ietf:rfc:3986", f"urn:oid:{_uid(ds, 'SOPClassUID')}")}
    number = _text(ds, "InstanceNumber")
    if number and number.isdigit():
        out["number"] = int(number)
    return out


def _report(ds: Dataset, uid: str, patient: str, started: str, study: str, conclusion: str) -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "meta": {"profile": [profiles.IMAGING_REPORT]},
        "identifier": [identifier(ids.RADIOLOGY_REPORT, uid)],
        "status": "final",
        "category": [t.concept(t.V2_0074, "RAD", "Radiology")],
        "code": t.concept(t.LOINC, *t.REPORT_IMAGING, text=_text(ds, "StudyDescription")),
        "subject": reference(patient),
        "effectiveDateTime": started,
        "imagingStudy": [reference(study)],
        "conclusion": conclusion,
    }

