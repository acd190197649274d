"""Radiology: real DICOM files written with pydicom and read back -> ImagingStudy + DiagnosticReport."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from mappers import MappingError, map_dicom_study
from mappers.dicom_study import map_dicom_path
from tests.mappers.dicom_factory import Study, study_level, uid, write
from tests.mappers.helpers import assert_valid_transaction, check_golden, resources

pytestmark = pytest.mark.filterwarnings("ignore:Invalid value for VR:UserWarning")  # bad files on purpose

CONCLUSION = "Очаговых и инфильтративных изменений в лёгких не выявлено. Синусы свободны."


def test_ct_folder_with_conclusion_matches_golden(tmp_path: Path) -> None:
    study = Study("ct-chest")
    study.write(tmp_path / "ct")
    (tmp_path / "ct" / "conclusion.txt").write_text(CONCLUSION + "\n", encoding="utf-8")
    [bundle] = map_dicom_path(tmp_path / "ct")
    assert_valid_transaction(bundle)
    check_golden("dicom_study__ct_chest", bundle)
    [imaging] = resources(bundle, "ImagingStudy")
    [report] = resources(bundle, "DiagnosticReport")
    assert imaging["identifier"][0] == {"system": "urn:dicom:uid", "value": f"urn:oid:{study.study_uid}"}
    assert (imaging["numberOfSeries"], imaging["numberOfInstances"]) == (2, 3)
    assert [s["numberOfInstances"] for s in imaging["series"]] == [2, 1]
    assert imaging["series"][0]["bodySite"]["code"] == "51185008"
    assert imaging["started"] == "2024-03-20T09:30:12+03:00"
    assert report["conclusion"] == CONCLUSION
    assert report["category"][0]["coding"][0]["code"] == "RAD"
    assert report["imagingStudy"] == [{"reference": bundle["entry"][1]["fullUrl"]}]
    [patient] = resources(bundle, "Patient")
    assert patient["name"][0]["text"] == "Смирнов Алексей Викторович"  # UTF-8 (ISO_IR 192) read back


@pytest.mark.parametrize(("modality", "description", "body"), [
    ("DX", "Флюорография органов грудной клетки", "CHEST"),
    ("MG", "Маммография двусторонняя", "BREAST"),
    ("MR", "МРТ головного мозга", "HEAD"),
])
def test_other_modalities(tmp_path: Path, modality: str, description: str, body: str) -> None:
    study = Study(f"s-{modality}", modality=modality, description=description, body_part=body, series=[1])
    [path] = study.write(tmp_path)
    path.with_suffix(".txt").write_text("Без патологических изменений.", encoding="utf-8")
    [bundle] = map_dicom_path(path)
    assert_valid_transaction(bundle)
    [imaging] = resources(bundle, "ImagingStudy")
    assert imaging["modality"][0]["code"] == modality and imaging["description"] == description
    assert resources(bundle, "DiagnosticReport")[0]["code"]["text"] == description


def test_study_level_metadata_with_counts_and_no_conclusion() -> None:
    study = Study("fl", modality="DX", description="Флюорография", accession=None)
    bundle = map_dicom_study(study_level(study, series=1, instances=2))
    assert_valid_transaction(bundle)
    assert resources(bundle, "DiagnosticReport") == []  # not reported yet
    [imaging] = resources(bundle, "ImagingStudy")
    assert (imaging["numberOfSeries"], imaging["numberOfInstances"]) == (1, 2)
    assert [m["code"] for m in imaging["modality"]] == ["DX"]  # SR is not an acquisition modality
    assert "series" not in imaging and len(imaging["identifier"]) == 1


def test_optional_attributes_missing(tmp_path: Path) -> None:
    ds = Study("bare", body_part="", accession=None).instance(1, 1)
    for keyword in ("StudyTime", "PatientName", "PatientBirthDate", "PatientSex", "StudyDescription",
                    "SeriesDescription", "SeriesNumber", "InstanceNumber"):
        delattr(ds, keyword)
    write(ds, tmp_path / "bare.dcm")
    bundle = map_dicom_study([pydicom.dcmread(tmp_path / "bare.dcm")], "Заключение")
    assert_valid_transaction(bundle)
    [patient] = resources(bundle, "Patient")
    assert set(patient) == {"resourceType", "identifier"}
    [imaging] = resources(bundle, "ImagingStudy")
    assert imaging["started"] == "2024-03-20" and "bodySite" not in imaging["series"][0]


def test_mapping_twice_gives_identical_bundles(tmp_path: Path) -> None:
    Study("twice").write(tmp_path)
    assert map_dicom_path(tmp_path) == map_dicom_path(tmp_path)


def test_folder_with_two_studies_and_conclusions_by_uid_and_accession(tmp_path: Path) -> None:
    first, second = Study("one", accession="ACC-1"), Study("two", accession="ACC-2", series=[1])
    first.write(tmp_path / "a")
    second.write(tmp_path / "b")
    (tmp_path / f"{first.study_uid}.txt").write_text("Заключение 1", encoding="utf-8")
    (tmp_path / "ACC-2.txt").write_text("Заключение 2", encoding="utf-8")
    (tmp_path / "DICOMDIR").write_bytes(b"skipped")
    bundles = map_dicom_path(tmp_path)
    conclusions = {resources(b, "ImagingStudy")[0]["identifier"][1]["value"]: resources(b, "DiagnosticReport")[0]
                   ["conclusion"] for b in bundles}
    assert conclusions == {"ACC-1": "Заключение 1", "ACC-2": "Заключение 2"}


def _error(tmp_path: Path, **changes: object) -> str:
    ds = Study("bad").instance(1, 1)
    for keyword, value in changes.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    write(ds, tmp_path / "bad-1-1.dcm")
    with pytest.raises(MappingError) as info:
        map_dicom_path(tmp_path)
    return str(info.value)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"StudyInstanceUID": None}, "bad-1-1.dcm: (0020,000D) StudyInstanceUID: missing"),
    ({"StudyInstanceUID": "1.2.abc"}, "bad-1-1.dcm: (0020,000D) StudyInstanceUID: '1.2.abc' is not a DICOM UID"),
    ({"PatientID": "12345"}, "bad-1-1.dcm: (0010,0020) PatientID: '12345' is not an MHI policy number (16 digits)"),
    ({"PatientID": None}, "bad-1-1.dcm: (0010,0020) PatientID: missing"),
    ({"Modality": "XX"}, "bad-1-1.dcm: (0008,0060) Modality: modality 'XX' is not one of CT, MR, MG, DX"),
    ({"StudyDate": None}, "bad-1-1.dcm: (0008,0020) StudyDate: missing"),
    ({"StudyDate": "20241399"}, "bad-1-1.dcm: (0008,0020) StudyDate: '20241399' is not a valid date"),
    ({"PatientSex": "X"}, "bad-1-1.dcm: (0010,0040) PatientSex: 'X' is not M, F or O"),
])
def test_bad_attributes_name_file_and_tag(tmp_path: Path, changes: dict[str, object], expected: str) -> None:
    assert _error(tmp_path, **changes).startswith(expected)


def test_a_file_that_is_not_dicom_fails_the_folder(tmp_path: Path) -> None:
    Study("ok").write(tmp_path)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4 not dicom")
    with pytest.raises(MappingError, match=r"^notes.pdf: not a readable DICOM file"):
        map_dicom_path(tmp_path)


def test_datasets_of_different_studies_are_refused() -> None:
    with pytest.raises(MappingError, match="StudyInstanceUID: belongs to another study"):
        map_dicom_study([Study("x").instance(1, 1), Study("y").instance(1, 1)])


def test_uids_are_stable() -> None:
    assert uid("a") == uid("a") != uid("b")
