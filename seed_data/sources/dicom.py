"""Radiology studies as DICOM datasets (study metadata only: no pixel data is needed by the EMC).

The datasets are what a PACS returns for a study's instances: patient module (MHI number as Patient
ID, name in PN form ``family^given^patronymic``), general study (Study Instance UID, accession
number, date, time and the Moscow offset), general series and SOP common. They stay in memory and
go straight to :func:`mappers.map_dicom_study`; ``write`` can save them as Part 10 files.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from ..events import Imaging
from ..people import Person

SOP_CLASSES = {"CT": "1.2.840.10008.5.1.4.1.1.2", "MR": "1.2.840.10008.5.1.4.1.1.4",
               "DX": "1.2.840.10008.5.1.4.1.1.1.1", "MG": "1.2.840.10008.5.1.4.1.1.1.2"}
SEXES = {"male": "M", "female": "F"}


def _uid(study_uid: str, *parts: object) -> str:
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_OID, '/'.join([study_uid, *map(str, parts)])).int}"


def datasets(person: Person, study: Imaging) -> list[Dataset]:
    out = []
    for series, count in enumerate(study.series, start=1):
        for number in range(1, count + 1):
            ds = Dataset()
            ds.SpecificCharacterSet = "ISO_IR 192"
            ds.SOPClassUID = SOP_CLASSES[study.modality]
            ds.SOPInstanceUID = _uid(study.study_uid, series, number)
            ds.StudyDate, ds.StudyTime = study.start.strftime("%Y%m%d"), study.start.strftime("%H%M%S")
            ds.TimezoneOffsetFromUTC = "+0300"
            ds.AccessionNumber = study.accession
            ds.Modality = study.modality
            ds.StudyDescription = study.description
            ds.SeriesDescription = f"Серия {series}"
            ds.PatientName = f"{person.family}^{person.given}^{person.patronymic}"
            ds.PatientID = person.mhi
            ds.PatientBirthDate = person.birth.strftime("%Y%m%d")
            ds.PatientSex = SEXES[person.sex]
            ds.BodyPartExamined = study.body_part
            ds.StudyInstanceUID = study.study_uid
            ds.SeriesInstanceUID = _uid(study.study_uid, series)
            ds.SeriesNumber = series
            ds.InstanceNumber = number
            out.append(ds)
    return out


def write(ds: Dataset, path: Path) -> None:
    """Save a dataset as a DICOM Part 10 file (for exporting sources, not needed to load them)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.save_as(path, enforce_file_format=True)
