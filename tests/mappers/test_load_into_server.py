"""Mapped Bundles posted to the real server: accepted, idempotent on re-import, sharing patients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mappers.dicom_study import map_dicom_path
from tests.mappers.dicom_factory import Study
from tests.mappers.samples_index import all_sample_bundles

TYPES = ("Patient", "Practitioner", "Organization", "Encounter", "Composition", "Condition",
         "DiagnosticReport", "Observation", "ImagingStudy")


def _counts(client: Any) -> dict[str, int]:
    out = {}
    for rtype in TYPES:
        response = client.get(f"{rtype}?_summary=count")
        assert response.status_code == 200, response.get_data(as_text=True)
        out[rtype] = response.get_json()["total"]
    return out


def _post(client: Any, bundle: dict[str, Any]) -> list[str]:
    response = client.post("", bundle)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [e["response"]["status"] for e in response.get_json()["entry"]]


def _load_twice(client: Any, bundles: list[dict[str, Any]]) -> None:
    for bundle in bundles:
        statuses = _post(client, bundle)
        assert all(s.startswith(("200", "201")) for s in statuses), statuses
    counts = _counts(client)
    for bundle in bundles:
        assert all(s.startswith("200") for s in _post(client, bundle))  # found, nothing written
    assert _counts(client) == counts


@pytest.mark.parametrize("name", sorted(all_sample_bundles()))
def test_sample_loads_and_reimport_changes_nothing(client: Any, name: str) -> None:
    bundles = all_sample_bundles()[name]
    _load_twice(client, bundles)
    counts = _counts(client)
    shared = {e["fullUrl"] for b in bundles for e in b["entry"]}  # a patient in several messages counts once
    assert sum(counts.values()) == len(shared)


def test_dicom_study_loads_and_reimport_changes_nothing(client: Any, tmp_path: Path) -> None:
    Study("load").write(tmp_path)
    (tmp_path / "conclusion.txt").write_text("Без патологии.", encoding="utf-8")
    bundles = map_dicom_path(tmp_path)
    _load_twice(client, bundles)
    assert _counts(client)["ImagingStudy"] == 1
    found = client.get("ImagingStudy?identifier=urn:dicom:uid|urn:oid:" + Study("load").study_uid)
    assert found.get_json()["total"] == 1


def test_sources_about_one_resident_share_the_patient_doctor_and_clinic(client: Any) -> None:
    everything = all_sample_bundles()
    for name in ("exam-protocol/hypertension_visit.json", "hl7v2-oru/cbc_and_biochemistry.hl7",
                 "instrumental/ecg_resting.json"):
        for bundle in everything[name]:
            _post(client, bundle)
    patients = client.get("Patient?identifier=https://emc.mos.ru/fhir/sid/mhi|7754310890001234").get_json()
    assert patients["total"] == 1
    patient_id = patients["entry"][0]["resource"]["id"]
    reports = client.get(f"DiagnosticReport?subject=Patient/{patient_id}").get_json()
    assert reports["total"] == 3 + 1  # three lab orders, one ECG
    clinics = client.get("Organization?identifier=https://emc.mos.ru/fhir/sid/clinic|0112").get_json()
    assert clinics["total"] == 1
    conditions = client.get(f"Condition?subject=Patient/{patient_id}&code=http://hl7.org/fhir/sid/icd-10|I11.9")
    assert conditions.get_json()["total"] == 1
