"""Write a population's source documents as files, for ``python -m fhir_server import`` or other systems.

    python -m seed_data.export --patients 50 --seed 1 /tmp/emc-sources

One folder per format, named as ``import --format`` expects: ``exam-protocol/`` and ``instrumental/`` hold
one NDJSON file per household (the form large exports take), ``hl7v2-oru/`` one file of messages per
household, ``cda-discharge/`` one XML document per stay, ``dicom-study/<accession>/`` the Part 10 files of a
study with its ``conclusion.txt``. Only the mapped sections are written: the resources built directly
(full Patient, guardians, prescriptions...) have no source format.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from .history import history
from .people import UNTIL, population
from .pipeline import sources
from .sources import dicom


def export(patients: int, seed: int, folder: Path) -> dict[str, int]:
    """Write the sources of ``patients`` people; returns the number of documents per format."""
    counts: dict[str, int] = defaultdict(int)
    for home in population(patients, seed, UNTIL):
        lines: dict[str, list[str]] = defaultdict(list)
        for person in home.members:
            for source in sources(person, history(person, seed, UNTIL)):
                counts[source.format] += 1
                target = folder / source.format
                target.mkdir(parents=True, exist_ok=True)
                if source.format in ("exam-protocol", "instrumental"):
                    lines[source.format].append(json.dumps(source.payload, ensure_ascii=False))
                elif source.format == "hl7v2-oru":
                    lines[source.format].append(source.payload)
                elif source.format == "cda-discharge":
                    (target / source.name).write_bytes(source.payload)
                else:
                    _write_study(target / source.name, *source.payload)
        for fmt, items in lines.items():
            suffix, sep = (".hl7", "") if fmt == "hl7v2-oru" else (".ndjson", "\n")
            path = folder / fmt / f"household-{home.index:07d}{suffix}"
            path.write_text(sep.join(items) + sep, encoding="utf-8")
    return dict(counts)


def _write_study(folder: Path, datasets: list, conclusion: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for ds in datasets:
        dicom.write(ds, folder / f"{ds.SeriesNumber}-{ds.InstanceNumber}.dcm")
    (folder / "conclusion.txt").write_text(conclusion, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m seed_data.export", description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    for fmt, count in sorted(export(args.patients, args.seed, args.folder).items()):
        print(f"{fmt}: {count} documents")


if __name__ == "__main__":
    main()
