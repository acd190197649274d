"""Small but real DICOM files for the radiology mapper tests (written with pydicom, read back).

UIDs are derived from names (``2.25.<uuid>``, PS3.5 B.2) so the files, and the Bundles mapped from
them, are the same on every run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from seed_data.sources.dicom import write  # the same Part 10 writer the generator exports with

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"
DX_IMAGE = "1.2.840.10008.5.1.4.1.1.1.1"
MG_IMAGE = "1.2.840.10008.5.1.4.1.1.1.2"
SOP_CLASSES = {"CT": CT_IMAGE, "MR": MR_IMAGE, "DX": DX_IMAGE, "MG": MG_IMAGE}


def uid(name: str) -> str:
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_URL, 'https://emc.mos.ru/tests/' + name).int}"


@dataclass
class Study:
    name: str
    modality: str = "CT"
    patient_id: str = "7754310890001234"
    patient_name: str = "Смирнов^Алексей^Викторович"
    birth_date: str = "19680514"
    sex: str = "M"
    date: str = "20240320"
    time: str = "093012"
    accession: str | None = "RIS-2024-5531207"
    description: str = "КТ органов грудной клетки"
    body_part: str = "CHEST"
    series: list[int] = field(default_factory=lambda: [2, 1])  # instances per series

    @property
    def study_uid(self) -> str:
        return uid(f"{self.name}/study")

    def datasets(self) -> list[Dataset]:
        out = []
        for s, count in enumerate(self.series, start=1):
            for i in range(1, count + 1):
                out.append(self.instance(s, i))
        return out

    def instance(self, series: int, number: int) -> Dataset:
        ds = Dataset()
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.SOPClassUID = SOP_CLASSES[self.modality]
        ds.SOPInstanceUID = uid(f"{self.name}/{series}/{number}")
        ds.StudyDate, ds.StudyTime = self.date, self.time
        if self.accession:
            ds.AccessionNumber = self.accession
        ds.Modality = self.modality
        ds.StudyDescription = self.description
        ds.SeriesDescription = f"Серия {series}"
        ds.PatientName = self.patient_name
        ds.PatientID = self.patient_id
        ds.PatientBirthDate = self.birth_date
        ds.PatientSex = self.sex
        if self.body_part:
            ds.BodyPartExamined = self.body_part
        ds.StudyInstanceUID = self.study_uid
        ds.SeriesInstanceUID = uid(f"{self.name}/{series}")
        ds.SeriesNumber = series
        ds.InstanceNumber = number
        ds.Rows, ds.Columns = 4, 4
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = bytes(32)
        return ds

    def write(self, folder: Path) -> list[Path]:
        """Write every instance as a DICOM Part 10 file; returns the paths."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for ds in self.datasets():
            path = folder / f"{self.name}-{ds.SeriesNumber}-{ds.InstanceNumber}.dcm"
            write(ds, path)
            paths.append(path)
        return paths



def study_level(study: Study, series: int = 3, instances: int = 412) -> Dataset:
    """A study-level dataset as a C-FIND response gives it: no SOP Instance UID, with counts."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.StudyDate, ds.StudyTime = study.date, study.time
    if study.accession:
        ds.AccessionNumber = study.accession
    ds.ModalitiesInStudy = [study.modality, "SR"]
    ds.StudyDescription = study.description
    ds.PatientName, ds.PatientID = study.patient_name, study.patient_id
    ds.PatientBirthDate, ds.PatientSex = study.birth_date, study.sex
    ds.StudyInstanceUID = study.study_uid
    ds.NumberOfStudyRelatedSeries, ds.NumberOfStudyRelatedInstances = series, instances
    return ds
