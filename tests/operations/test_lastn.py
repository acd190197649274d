"""``Observation/$lastn``: the latest ``max`` Observations per patient and code, compared with an
independent computation over the loaded Synthea bundles."""

from __future__ import annotations

from collections import defaultdict

import pytest

from fhir_server.search.date import parse_range
from tests.operations.conftest import resources
from tests.operations.test_everything import HidingPolicy


def _expected(observations: list[dict], most: int) -> dict[tuple, list[str]]:
    """Per (patient, code set): the ``most`` latest effective dates (ties make ids unpredictable)."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    for o in observations:
        codes = tuple(sorted((c["system"], c["code"]) for c in o["code"]["coding"]))
        groups[(o["subject"]["reference"], codes)].append(o["effectiveDateTime"])
    return {k: sorted(v, key=lambda d: parse_range(d)[0], reverse=True)[:most] for k, v in groups.items()}


def _got(bundle: dict) -> dict[tuple, list[str]]:
    groups: dict[tuple, list[str]] = defaultdict(list)
    for entry in bundle.get("entry", []):
        o = entry["resource"]
        codes = tuple(sorted((c["system"], c["code"]) for c in o["code"]["coding"]))
        groups[(o["subject"]["reference"], codes)].append(o["effectiveDateTime"])
    return dict(groups)


def _observations(synthea, category: str | None = None, stems=None) -> list[dict]:
    out = []
    for stem, bundle in synthea.bundles.items():
        if stems is not None and stem not in stems:
            continue
        for r in resources(bundle):
            if r["resourceType"] != "Observation":
                continue
            if category and not any(c["code"] == category for cat in r.get("category", []) for c in cat["coding"]):
                continue
            out.append(r)
    return out


@pytest.mark.parametrize("most", [1, 3])
def test_by_patient_and_category(synthea, most):
    stem = max(synthea.bundles, key=lambda s: len(synthea.bundles[s]["entry"]))
    patient = synthea.patients[stem]
    bundle = synthea.client.get(f"Observation/$lastn?patient={patient}&category=laboratory&max={most}").get_json()
    expected = _expected(_observations(synthea, "laboratory", {stem}), most)
    assert expected and _got(bundle) == expected
    assert bundle["total"] == sum(len(v) for v in expected.values())


def test_default_max_is_one_and_groups_by_patient(synthea):
    bundle = synthea.client.get("Observation/$lastn?category=vital-signs").get_json()
    expected = _expected(_observations(synthea, "vital-signs"), 1)
    assert _got(bundle) == expected
    assert len({k[0] for k in expected}) > 1, "several patients"


def test_by_code(synthea):
    code = "http://loinc.org|8302-2"
    bundle = synthea.client.get(f"Observation/$lastn?code={code}&max=2").get_json()
    matching = [o for o in _observations(synthea) if any(c["code"] == "8302-2" for c in o["code"]["coding"])]
    assert matching and _got(bundle) == _expected(matching, 2)


def test_latest_first_within_a_group(client):
    patient = client.create({"resourceType": "Patient"})
    for day in ("2024-01-01", "2024-03-01", "2024-02-01"):
        client.create({"resourceType": "Observation", "status": "final", "subject": {"reference": f"Patient/{patient['id']}"},
                       "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
                       "effectiveDateTime": day, "valueQuantity": {"value": 1}})
    bundle = client.get(f"Observation/$lastn?patient={patient['id']}&max=2").get_json()
    assert [e["resource"]["effectiveDateTime"] for e in bundle["entry"]] == ["2024-03-01", "2024-02-01"]


def test_access_policy(app, client):
    patient = client.create({"resourceType": "Patient"})
    client.create({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                   "subject": {"reference": f"Patient/{patient['id']}"}})
    app.extensions["fhir_context"].policy = HidingPolicy("Observation")
    bundle = client.get(f"Observation/$lastn?patient={patient['id']}").get_json()
    assert bundle["total"] == 0 and "entry" not in bundle


@pytest.mark.parametrize("query", ["max=0", "max=abc", "max=1&max=2", "_sort=date", "_count=3", "nonsense=1",
                                   "date=notadate", "patient:exact=x"])
def test_bad_parameters_are_400(client, query):
    response = client.get(f"Observation/$lastn?{query}")
    assert response.status_code == 400, (query, response.get_json())
    assert response.get_json()["resourceType"] == "OperationOutcome"


def test_only_on_observation(client):
    assert client.get("Patient/$lastn").status_code == 404
