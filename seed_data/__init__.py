"""A synthetic Moscow population for the EMC: deterministic for a seed, streaming, through the mappers.

``generate(patients, seed)`` yields households one at a time (memory does not grow with the
population), each with its transaction Bundles: the history of each member written in the city's
source formats and mapped by :mod:`mappers`, plus the sections no mapper covers built as FHIR. Every
draw comes from a generator named by (seed, what, which) (:mod:`seed_data.rng`), so the same seed
gives the same population byte for byte, and household 10**6 costs what household 0 does.

Modules: ``people`` (households, names, MHI and SNILS), ``moscow`` (districts, streets, clinics,
staff), ``diseases``, ``labs``, ``imaging``, ``stays``, ``vaccines``, ``texts`` (what happens to
people), ``history`` (a person's card since 2017), ``sources/`` (the source formats),
``fhir_direct`` (FHIR built directly), ``pipeline`` (household -> Bundles). See docs/seed_data.md.
"""

from __future__ import annotations

from .people import UNTIL, Household, Person, household, population
from .pipeline import generate, household_bundles, reference_bundle

__all__ = ["UNTIL", "Household", "Person", "generate", "household", "household_bundles", "population",
           "reference_bundle"]
