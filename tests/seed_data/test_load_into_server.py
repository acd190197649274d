"""A generated population loads into the real server with no error, once."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from pymongo import MongoClient

from fhir_server import cli
from fhir_server.config import Settings
from fhir_server.ingest.seeding import seed_population, worker_context
from fhir_server.rest import Context, FhirRequest
from fhir_server.routes import make_context
from fhir_server.storage.mongo import Store, ensure_indexes
from seed_data import UNTIL, household_bundles, population, reference_bundle

SEED = 21
PATIENTS = 13


def _search(ctx: Context, rtype: str, *params: tuple[str, str]) -> dict[str, Any]:
    response = ctx.dispatch(FhirRequest("GET", [rtype], params=[*params, ("_count", "500")]))
    assert response.resource is not None
    return response.resource


def test_small_population_loads_and_a_second_run_adds_nothing(store: Store) -> None:
    ensure_indexes(store)
    ctx = make_context(Settings(base_url="http://testserver/fhir"), store)
    report = seed_population(ctx, PATIENTS, SEED, progress=False)
    assert report.patients == PATIENTS and report.resources > 1000
    patients = _search(ctx, "Patient", ("_summary", "count"))["total"]
    assert patients == PATIENTS
    for rtype in ("Encounter", "Composition", "Condition", "DiagnosticReport", "Observation", "ImagingStudy",
                  "MedicationRequest", "Immunization"):
        assert _search(ctx, rtype, ("_summary", "count"))["total"] > 0, rtype
    people = [p for home in population(PATIENTS, SEED) for p in home.members]
    for child in (p for p in people if p.age(UNTIL) < 15):
        found = _search(ctx, "Patient", ("identifier", f"https://emc.mos.ru/fhir/sid/mhi|{child.mhi}"))
        child_id = found["entry"][0]["resource"]["id"]
        guardians = _search(ctx, "RelatedPerson", ("patient", f"Patient/{child_id}"))
        assert guardians["total"] == len(child.parents) >= 1

    again = seed_population(ctx, PATIENTS, SEED, progress=False)
    assert again.resources == len(reference_bundle()["entry"])  # organisations and staff found, nothing else
    assert _search(ctx, "Patient", ("_summary", "count"))["total"] == PATIENTS

    cut, homes = list(population(PATIENTS, SEED)), list(population(PATIENTS + 3, SEED))
    assert len(cut[-1].members) < len(homes[len(cut) - 1].members)  # the last household was cut short
    grown = seed_population(ctx, PATIENTS + 3, SEED, progress=False)  # the cut household is completed
    assert grown.patients == PATIENTS + 3
    assert len(_mhis(ctx)) == _search(ctx, "Patient", ("_summary", "count"))["total"] == PATIENTS + 3
    assert _search(ctx, "Composition", ("_summary", "count"))["total"] == len(
        {e["resource"]["identifier"]["value"] for home in homes for b in household_bundles(home, SEED)
         for e in b["entry"] if e["resource"]["resourceType"] == "Composition"})


def test_two_worker_processes_load_the_same_population(store: Store, mongo_uri: str,
                                                      mongo_client: MongoClient) -> None:
    """Households depend only on (seed, index): split between processes, the stored data are the same."""
    ensure_indexes(store)
    settings = Settings(base_url="http://testserver/fhir", mongodb_uri=mongo_uri, database=store.db.name)
    ctx = make_context(settings, store)
    report = seed_population(ctx, 4, SEED, progress=False, workers=2,
                             context_factory=partial(worker_context, settings))
    other = Store(client=mongo_client, db=mongo_client[f"{store.db.name}_one"])
    try:
        ensure_indexes(other)
        alone = seed_population(make_context(settings, other), 4, SEED, progress=False)
        assert (report.patients, report.households, report.resources) == (alone.patients, alone.households,
                                                                          alone.resources)
        assert _mhis(ctx) == _mhis(make_context(settings, other))
    finally:
        mongo_client.drop_database(other.db.name)


def _mhis(ctx: Context) -> set[str]:
    bundle = _search(ctx, "Patient")
    return {e["resource"]["identifier"][0]["value"] for e in bundle["entry"]}


def test_seed_command(store: Store, mongo_uri: str, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("FHIR_DB_NAME", store.db.name)
    assert cli.main(["seed", "--patients", "3", "--seed", "4"]) == 0
    assert "seeded 3 patients" in capsys.readouterr().out
