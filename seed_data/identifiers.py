"""Identifier systems of the sections the mappers do not cover, and the guardian extension.

They follow :mod:`mappers.identifiers` (URIs under ``https://emc.mos.ru/fhir/sid/``, values scoped by
the issuing organisation) and use its :class:`~mappers.identifiers.IdSystem`, so their NamingSystem
resources can be generated the same way (``python -m seed_data.identifiers profiles``) once the
profiles declare them. Every directly built resource is a conditional create on one of these, so
loading the same population twice duplicates nothing, like the mapped sources.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mappers.identifiers import IdSystem

SYSTEMS: tuple[IdSystem, ...] = (
    IdSystem("prescription", "Рецепт (prescription)",
             "A prescription, including benefit prescriptions: <clinic code>/<series and number>.", None,
             "0112/RX-2024-0000123-1"),
    IdSystem("immunization", "Прививка (vaccination record)",
             "A vaccination in the child's or adult's vaccination card: <clinic code>/<record id>.", None,
             "0212/IM-0112345-3"),
    IdSystem("allergy", "Аллергия (allergy record)",
             "An allergy or intolerance on a resident's card: <MHI policy number>/<number>.", None,
             "7754310890001234/1"),
    IdSystem("problem", "Хроническое заболевание (problem-list entry)",
             "A chronic disease on a resident's problem list: <MHI policy number>/<ICD-10 code>.", None,
             "7754310890001234/I10"),
    IdSystem("guardian", "Законный представитель (guardian link)",
             "A parent's or guardian's link to a child's card: <child's MHI number>/<guardian's MHI number>.",
             None, "7754310890001234/7754310890005678"),
)
_BY_NAME = {s.name: s for s in SYSTEMS}
PRESCRIPTION = _BY_NAME["prescription"].uri
IMMUNIZATION = _BY_NAME["immunization"].uri
ALLERGY = _BY_NAME["allergy"].uri
PROBLEM = _BY_NAME["problem"].uri
GUARDIAN = _BY_NAME["guardian"].uri

KINSHIP_VERIFIED = "https://emc.mos.ru/fhir/StructureDefinition/kinship-verified"
"""Extension on RelatedPerson (valueBoolean): kinship with the child was checked against a document
(birth certificate) by the registry. Parents see a child's card only with verified kinship
(docs/auth.md). The same URL as ``profiles/StructureDefinition-kinship-verified.json`` (the EMC guardian
profile requires exactly one)."""


if __name__ == "__main__":
    from mappers.naming_systems import file_name, render

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "profiles")
    for system in SYSTEMS:
        (folder / file_name(system)).write_text(render(system), encoding="utf-8")
        print(folder / file_name(system))
