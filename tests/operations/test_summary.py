"""``Patient/$summary``: an IPS-shaped document; complete for allergies and current problems, with
"no information" entries for empty required sections; through the access policy."""

from __future__ import annotations

import pytest

from tests.operations.conftest import resources
from tests.operations.ips import check_ips, entries_of, sections
from tests.operations.test_everything import HidingPolicy
from tests.profiles.instances import valid


def _code(resource: dict, element: str) -> str | None:
    coding = (resource.get(element) or {}).get("coding") or [{}]
    return coding[0].get("code")


@pytest.mark.parametrize("index", range(12))
def test_summary_of_each_synthea_patient(synthea, index):
    stem = sorted(synthea.patients)[index]
    patient_id = synthea.patients[stem]
    response = synthea.client.get(f"Patient/{patient_id}/$summary")
    assert response.status_code == 200
    bundle = response.get_json()
    check_ips(bundle, patient_id)
    data = resources(synthea.bundles[stem])
    found = sections(bundle)

    def ids(code: str) -> set[str]:
        return {r.get("id") for r in entries_of(bundle, found[code]) if "id" in r}

    allergies = {r["id"] for r in data if r["resourceType"] == "AllergyIntolerance"
                 and _code(r, "clinicalStatus") in (None, "active")
                 and _code(r, "verificationStatus") not in ("refuted", "entered-in-error")}
    problems = {r["id"] for r in data if r["resourceType"] == "Condition"
                and _code(r, "clinicalStatus") in (None, "active", "recurrence", "relapse")}
    medications = {r["id"] for r in data if r["resourceType"] == "MedicationRequest"
                   and r["status"] in ("active", "on-hold")}
    assert ids("48765-2") == allergies
    assert ids("11450-4") == problems
    assert ids("10160-0") == medications
    immunizations = {r["id"] for r in data if r["resourceType"] == "Immunization" and r["status"] == "completed"}
    assert ids("11369-6") if immunizations else "11369-6" not in found
    if immunizations:
        assert ids("11369-6") == immunizations
    labs = [r for r in data if r["resourceType"] == "Observation"
            and any(c["code"] == "laboratory" for cat in r.get("category", []) for c in cat["coding"])]
    codes = {tuple(sorted((c["system"], c["code"]) for c in r["code"]["coding"])) for r in labs}
    if labs:
        results = entries_of(bundle, found["30954-2"])
        assert len(results) == len(codes), "one result per code"
        for result in results:
            same = [r for r in labs if r["code"] == result["code"]]
            assert result["effectiveDateTime"] == max(r["effectiveDateTime"] for r in same)


def test_empty_card_has_no_information_entries(client):
    patient = client.create({"resourceType": "Patient", "name": [{"family": "Пустова"}]})
    bundle = client.get(f"Patient/{patient['id']}/$summary").get_json()
    check_ips(bundle, patient["id"])
    found = sections(bundle)
    assert set(found) == {"48765-2", "11450-4", "10160-0"}
    expected = {"48765-2": ("AllergyIntolerance", "code", "no-allergy-info"),
                "11450-4": ("Condition", "code", "no-problem-info"),
                "10160-0": ("MedicationStatement", "medicationCodeableConcept", "no-medication-info")}
    for code, (rtype, element, absent) in expected.items():
        [entry] = entries_of(bundle, found[code])
        assert entry["resourceType"] == rtype
        assert entry[element]["coding"][0] == {
            "system": "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips", "code": absent,
            "display": entry[element]["coding"][0]["display"]}


def test_resolved_problems_go_to_past_illness_and_refuted_ones_nowhere(client):
    patient = client.create({"resourceType": "Patient"})
    subject = {"reference": f"Patient/{patient['id']}"}

    def condition(status: str, verification: str = "confirmed") -> str:
        return client.create({"resourceType": "Condition", "subject": subject, "code": {"text": status},
                              "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status}]},
                              "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]}})["id"]

    active, resolved = condition("active"), condition("resolved")
    condition("active", "refuted")
    bundle = client.get(f"Patient/{patient['id']}/$summary").get_json()
    check_ips(bundle, patient["id"])
    found = sections(bundle)
    assert [r["id"] for r in entries_of(bundle, found["11450-4"])] == [active]
    assert [r["id"] for r in entries_of(bundle, found["11348-0"])] == [resolved]


def test_discharge_summaries_and_recent_procedures(client):
    from fhir_server.operations.summary_sections import RECENT, RECENT_DISCHARGES

    patient = client.create({"resourceType": "Patient"})
    subject = {"reference": f"Patient/{patient['id']}"}
    for year in range(2000, 2000 + RECENT + 5):
        client.create({"resourceType": "Procedure", "status": "completed", "subject": subject,
                       "code": {"text": f"p{year}"}, "performedDateTime": f"{year}-01-01"})
    discharge = valid("emc-discharge-summary")
    del discharge["meta"]
    discharge["subject"] = subject
    made = []
    for year in (2019, 2021, 2023, 2024):
        discharge["date"] = f"{year}-05-01"
        made.append(client.create(discharge)["id"])
    bundle = client.get(f"Patient/{patient['id']}/$summary").get_json()
    check_ips(bundle, patient["id"])
    found = sections(bundle)
    procedures = entries_of(bundle, found["47519-4"])
    assert [p["performedDateTime"][:4] for p in procedures] == [str(y) for y in range(2024, 2024 - RECENT, -1)]
    assert f"{RECENT} most recent of {RECENT + 5}" in found["47519-4"]["text"]["div"]
    assert [c["id"] for c in entries_of(bundle, found["18842-5"])] == made[::-1][:RECENT_DISCHARGES]


def test_type_level_by_mhi_number(client):
    patient = client.create(valid("emc-patient"))
    mhi = "https://emc.mos.ru/fhir/sid/mhi|7700000000000019"
    response = client.get("Patient/$summary", query_string={"identifier": mhi})
    assert response.status_code == 200
    check_ips(response.get_json(), patient["id"])
    assert client.get("Patient/$summary", query_string={"identifier": "x|1"}).status_code == 404
    assert client.get("Patient/$summary").status_code == 400
    client.create(valid("emc-patient"))
    assert client.get("Patient/$summary", query_string={"identifier": mhi}).status_code == 400


def test_access_policy_applies(app, client):
    patient = client.create({"resourceType": "Patient"})
    client.create({"resourceType": "AllergyIntolerance", "patient": {"reference": f"Patient/{patient['id']}"},
                   "code": {"text": "пенициллин"}})
    app.extensions["fhir_context"].policy = HidingPolicy("AllergyIntolerance")
    bundle = client.get(f"Patient/{patient['id']}/$summary").get_json()
    [entry] = entries_of(bundle, sections(bundle)["48765-2"])
    assert entry["code"]["coding"][0]["code"] == "no-allergy-info"
    app.extensions["fhir_context"].policy = HidingPolicy("Patient")
    assert client.get(f"Patient/{patient['id']}/$summary").status_code == 404


@pytest.mark.parametrize("path", ["Patient/{id}/$summary?foo=1", "Patient/{id}/$summary?identifier=a|b",
                                  "Patient/$summary?identifier=a|b&identifier=c|d", "Patient/$summary?_count=3"])
def test_bad_parameters_are_400(client, path):
    patient = client.create({"resourceType": "Patient"})
    response = client.get(path.format(id=patient["id"]))
    assert response.status_code == 400, response.get_json()


def test_wrong_type_and_unknown_patient(client):
    assert client.get("Observation/x/$summary").status_code == 404
    assert client.get("Patient/nobody/$summary").status_code == 404
