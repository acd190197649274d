"""``python -m fhir_server import --format FORMAT PATH...``: source documents through a mapper into storage.

The mappers (:data:`mappers.FORMATS`) turn each file into transaction Bundles; this module loads them
through :func:`fhir_server.rest.dispatch` (via :mod:`fhir_server.ingest.loader`), so imported data is
validated and indexed exactly like data sent over HTTP.

A file is the unit of success: its Bundles are merged into **one** transaction (entries with the same
``fullUrl``, such as the patient named by every message, kept once), so a file the mapper refuses, or
whose transaction the server refuses, imports nothing. Only a file larger than
:data:`MAX_TRANSACTION_ENTRIES` is loaded in several transactions (a MongoDB transaction must stay
short); if one of those fails the report says how many records of the file went in. A run goes on
past refused files and ends with the list of what it imported and what it refused.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from fhir_server.ingest.loader import LoadError, post_bundle
from fhir_server.rest import Context
from mappers import FORMATS, MappingError

Bundle = dict[str, Any]
MAX_TRANSACTION_ENTRIES = 5000
SUFFIXES: dict[str, tuple[str, ...]] = {
    "exam-protocol": (".json", ".ndjson"),
    "instrumental": (".json", ".ndjson"),
    "hl7v2-oru": (".hl7", ".oru", ".txt"),
    "cda-discharge": (".xml",),
    "dicom-study": (),  # a file or a folder is one unit: the mapper groups a folder's files by study
}


@dataclass
class ImportReport:
    imported: list[tuple[str, int]] = field(default_factory=list)  # (file, resources)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    @property
    def resources(self) -> int:
        return sum(n for _, n in self.imported)


def run_import(ctx: Context, fmt: str, paths: list[Path]) -> int:
    """The ``import`` command: import, print the report; the exit status (2: bad format or path)."""
    try:
        report = import_paths(ctx, fmt, paths)
    except LoadError as exc:
        print(f"import failed: {exc}", file=sys.stderr)
        return 2
    return print_report(report)


def print_report(report: ImportReport) -> int:
    """Print what was imported and what was refused; the exit status (1 when anything was refused)."""
    for path, why in report.refused:
        named = why.startswith((path, Path(path).name))  # mapping errors name the file, load errors its path
        print(f"refused: {why}" if named else f"refused: {path}: {why}", file=sys.stderr)
    print(f"imported {len(report.imported)} files ({report.resources} resources), refused {len(report.refused)}")
    return 1 if report.refused else 0


def merge_transactions(bundles: Iterable[Bundle]) -> Bundle:
    """One transaction Bundle with every entry of ``bundles``; a ``fullUrl`` seen before is skipped.

    The mappers give a resource the same ``urn:uuid`` (from its business identifier) in every Bundle
    that names it, and every entry is a conditional create on that identifier, so keeping the first
    entry of a ``fullUrl`` stores exactly what loading the Bundles one by one would store.
    """
    seen: set[str] = set()
    entries = []
    for bundle in bundles:
        for entry in bundle.get("entry", []):
            url = entry.get("fullUrl")
            if url is None or url not in seen:
                entries.append(entry)
                if url is not None:
                    seen.add(url)
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def find_units(fmt: str, paths: list[Path]) -> list[Path]:
    """The files (or, for DICOM, the files and folders) to import, folders expanded recursively."""
    if fmt not in FORMATS:
        raise LoadError(f"unknown format {fmt!r}; known: {', '.join(sorted(FORMATS))}")
    units: list[Path] = []
    for path in paths:
        if not path.exists():
            raise LoadError(f"{path}: no such file or directory")
        if path.is_dir() and SUFFIXES[fmt]:
            units += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES[fmt])
        else:
            units.append(path)
    return units


def import_paths(ctx: Context, fmt: str, paths: list[Path], *, progress: bool = True) -> ImportReport:
    """Map and load every file; refused files are reported, not raised."""
    report = ImportReport()
    units = find_units(fmt, paths)
    with tqdm(total=len(units), unit="file", disable=not progress) as bar:
        for unit in units:
            try:
                report.imported.append((str(unit), import_file(ctx, fmt, unit)))
            except (MappingError, LoadError) as exc:
                report.refused.append((str(unit), str(exc)))
            except OSError as exc:  # unreadable file: refused like a malformed one
                report.refused.append((str(unit), f"{unit.name}: cannot be read ({exc.strerror or exc})"))
            bar.update(1)
            bar.set_postfix(resources=report.resources, refused=len(report.refused))
    return report


def import_file(ctx: Context, fmt: str, path: Path) -> int:
    """Map one file and load it; returns the number of resources stored or found.

    Raises :class:`MappingError` (nothing loaded: mapping finishes before loading starts) or
    :class:`LoadError` naming the file and the refused entry.
    """
    bundles = FORMATS[fmt](path)
    done = 0
    for number, group in enumerate(_groups(bundles)):
        try:
            done += post_bundle(ctx, merge_transactions(group), path)
        except LoadError as exc:
            if number == 0:
                raise
            raise LoadError(f"{exc} (the file was too large for one transaction: "
                            f"its first {number} parts, {done} resources, were imported)") from exc
    return done


def _groups(bundles: list[Bundle]) -> list[list[Bundle]]:
    """Consecutive runs of whole Bundles of at most MAX_TRANSACTION_ENTRIES entries (one Bundle at least)."""
    groups: list[list[Bundle]] = []
    size = MAX_TRANSACTION_ENTRIES + 1
    for bundle in bundles:
        n = len(bundle.get("entry", []))
        if size + n > MAX_TRANSACTION_ENTRIES:
            groups.append([])
            size = 0
        groups[-1].append(bundle)
        size += n
    return groups
