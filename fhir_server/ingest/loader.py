"""``python -m fhir_server load PATH...``: bulk loading of files into the server's storage.

Accepts JSON Bundles (transaction and batch go through the transaction/batch interaction,
collection and searchset entries are stored one by one), single resources, NDJSON files (one
resource per line) and directories (recursively). Resources with an id keep it (update as
create), others get a server id. Everything goes through :func:`fhir_server.rest.dispatch`, so
loaded data is validated and indexed exactly like data sent over HTTP.

An NDJSON file is stored all or nothing: every line is read and parsed first, then the lines go
in one transaction Bundle (``PUT`` for a line with an id, ``POST`` for one without). A file of
more than :data:`TRANSACTION_LINES` lines is stored in transactions of that many lines, one after
the other, to stay well inside MongoDB's transaction time limit (``transactionLifetimeLimitSeconds``,
60 s by default): a failure in one of them leaves the earlier ones stored, and the message says
so. With ``keep_going`` every line is stored on its own and each refused line is reported.

:class:`LoadReport` counts the resources actually stored, including those of a file that failed
part way (a collection Bundle, a batch, the lines of an NDJSON file loaded with ``keep_going``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from tqdm import tqdm

from fhir_server.errors import FhirError
from fhir_server.rest import Context, FhirRequest

SUFFIXES = (".json", ".ndjson")

#: The most NDJSON lines stored in one transaction (the same size as ``import``'s
#: ``MAX_TRANSACTION_ENTRIES``). At the measured transaction ingest rate (about 5,000 resources/s,
#: docs/benchmarks.md) that is about a second, far from the 60 s a MongoDB transaction may last by
#: default, and it bounds the memory one transaction holds; a file of more lines is stored in
#: several transactions.
TRANSACTION_LINES = 5000

_ENTRY = re.compile(r"Bundle\.entry\[(\d+)\]: ")


@dataclass
class LoadReport:
    files: int = 0  # files loaded completely
    resources: int = 0  # resources stored, whether or not their file loaded completely
    failures: list[str] = field(default_factory=list)


class LoadError(Exception):
    """A file or entry that could not be loaded; the message names it. ``stored`` counts the
    resources of that file that were stored before the failure (a transaction stores none)."""

    def __init__(self, message: str, stored: int = 0) -> None:
        super().__init__(message)
        self.stored = stored
        self.report: LoadReport | None = None  # what the whole load stored, when it stopped on this error


def find_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise LoadError(f"{path}: no such file or directory")
    return found


def load_paths(ctx: Context, paths: list[Path], *, progress: bool = True, keep_going: bool = False) -> LoadReport:
    report = LoadReport()
    files = find_files(paths)
    with tqdm(total=len(files), unit="file", disable=not progress) as bar:
        for path in files:
            try:
                report.resources += load_file(ctx, path, keep_going=keep_going, failures=report.failures)
                report.files += 1
            except LoadError as exc:
                report.resources += exc.stored
                report.failures.append(str(exc))
                if not keep_going:
                    exc.report = report
                    raise
            bar.update(1)
            bar.set_postfix(resources=report.resources)
    return report


def load_file(ctx: Context, path: Path, *, keep_going: bool = False, failures: list[str] | None = None) -> int:
    """Load one file; returns the number of resources stored.

    With ``keep_going`` an NDJSON file is stored line by line: each refused line is appended to
    ``failures`` and the others are stored; a :class:`LoadError` carrying the count stored then
    says that the file did not load completely."""
    if path.suffix == ".ndjson":
        if keep_going:
            return _ndjson_each(ctx, path, failures if failures is not None else [])
        return _ndjson_transactions(ctx, path)
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise LoadError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or "resourceType" not in data:
        raise LoadError(f"{path}: not a FHIR resource")
    if data["resourceType"] == "Bundle" and data.get("type") in ("transaction", "batch"):
        return post_bundle(ctx, data, path)
    if data["resourceType"] == "Bundle" and data.get("type") in ("collection", "searchset"):
        stored = 0
        for i, entry in enumerate(data.get("entry") or []):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            try:
                stored += _store(ctx, resource, f"{path}, Bundle.entry[{i}]")
            except LoadError as exc:
                raise LoadError(str(exc), stored) from exc
        return stored
    return _store(ctx, data, str(path))


def _ndjson_lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Every non-blank line of the file, parsed; the first line that is not a resource fails the file."""
    lines = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                lines.append((number, _parse_line(path, number, line)))
    return lines


def _parse_line(path: Path, number: int, line: bytes) -> dict[str, Any]:
    try:
        resource = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise LoadError(f"{path}, line {number}: not valid JSON ({exc})") from exc
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise LoadError(f"{path}, line {number}: not a FHIR resource")
    return resource


def _ndjson_transactions(ctx: Context, path: Path) -> int:
    """Store the file's lines in transactions of at most :data:`TRANSACTION_LINES` lines."""
    lines = _ndjson_lines(path)
    stored = 0
    for start in range(0, len(lines), TRANSACTION_LINES):
        chunk = lines[start:start + TRANSACTION_LINES]
        bundle = {"resourceType": "Bundle", "type": "transaction",
                  "entry": [_transaction_entry(resource) for _, resource in chunk]}
        try:
            stored += post_bundle(ctx, bundle, path, lines=[number for number, _ in chunk])
        except LoadError as exc:
            earlier = f" (lines 1-{chunk[0][0] - 1} were stored in earlier transactions)" if stored else ""
            raise LoadError(f"{exc}{earlier}", stored) from exc
    return stored


def _transaction_entry(resource: dict[str, Any]) -> dict[str, Any]:
    rtype = resource["resourceType"]
    if resource.get("id"):
        return {"resource": resource, "request": {"method": "PUT", "url": f"{rtype}/{resource['id']}"}}
    return {"resource": resource, "request": {"method": "POST", "url": rtype}}


def _line_of_entry(exc: FhirError, lines: list[int]) -> str:
    """``, line N`` for the NDJSON line of the transaction entry an error names (the entry's name
    then taken out of the error), or nothing when it names none."""
    line = ""
    for issue in exc.issues:
        match = _ENTRY.match(issue.diagnostics)
        if match and int(match.group(1)) < len(lines):
            line = line or f", line {lines[int(match.group(1))]}"
            issue.diagnostics = issue.diagnostics[match.end():]
    return line


def _ndjson_each(ctx: Context, path: Path, failures: list[str]) -> int:
    """Store each line on its own; refused lines go to ``failures``."""
    stored = refused = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                stored += _store(ctx, _parse_line(path, number, line), f"{path}, line {number}")
            except LoadError as exc:
                failures.append(str(exc))
                refused += 1
    if refused:
        raise LoadError(f"{path}: {refused} of {stored + refused} lines refused, {stored} stored", stored)
    return stored


def post_bundle(ctx: Context, bundle: dict[str, Any], path: Path, *, lines: list[int] | None = None) -> int:
    """Post a batch or transaction Bundle; returns the number of entries it stored. ``lines``: the
    NDJSON line number of each entry, to name a refused entry by its line."""
    try:
        response = ctx.dispatch(FhirRequest("POST", [], body=bundle))
    except FhirError as exc:
        where = _line_of_entry(exc, lines) if lines is not None else ""
        raise LoadError(f"{path}{where}: {_describe(exc)}") from exc
    answer = response.resource
    assert answer is not None  # a batch or transaction is answered with a Bundle
    failed = [(i, e) for i, e in enumerate(answer["entry"]) if not e["response"]["status"].startswith("2")]
    if failed:
        index, entry = failed[0]
        outcome = entry["response"].get("outcome", {})
        text = "; ".join(i.get("diagnostics", "") for i in outcome.get("issue", []))
        # a batch stores the entries that succeeded
        raise LoadError(f"{path}, Bundle.entry[{index}]: {entry['response']['status']} {text}",
                        len(answer["entry"]) - len(failed))
    return len(answer["entry"])


def _store(ctx: Context, resource: Any, where: str) -> int:
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise LoadError(f"{where}: not a FHIR resource")
    rtype = resource["resourceType"]
    if resource.get("id"):
        req = FhirRequest("PUT", [rtype, str(resource["id"])], body=resource)
    else:
        req = FhirRequest("POST", [rtype], body=resource)
    try:
        ctx.dispatch(req)
    except FhirError as exc:
        raise LoadError(f"{where}: {_describe(exc)}") from exc
    return 1


def _describe(exc: FhirError) -> str:
    parts = []
    for issue in exc.issues:
        where = f" at {', '.join(issue.expression)}" if issue.expression else ""
        parts.append(f"{issue.diagnostics}{where}")
    return "; ".join(parts)
