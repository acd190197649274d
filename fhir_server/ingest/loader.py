"""``python -m fhir_server load PATH...``: bulk loading of files into the server's storage.

Accepts JSON Bundles (transaction and batch go through the transaction/batch interaction,
collection and searchset entries are stored one by one), single resources, NDJSON files (one
resource per line) and directories (recursively). Resources with an id keep it (update as
create), others get a server id. Everything goes through :func:`fhir_server.rest.dispatch`, so
loaded data is validated and indexed exactly like data sent over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from tqdm import tqdm

from fhir_server.errors import FhirError
from fhir_server.rest import Context, FhirRequest

SUFFIXES = (".json", ".ndjson")


@dataclass
class LoadReport:
    files: int = 0
    resources: int = 0
    failures: list[str] = field(default_factory=list)


class LoadError(Exception):
    """A file or entry that could not be loaded; the message names it."""


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
                report.resources += load_file(ctx, path)
                report.files += 1
            except LoadError as exc:
                report.failures.append(str(exc))
                if not keep_going:
                    raise
            bar.update(1)
            bar.set_postfix(resources=report.resources)
    return report


def load_file(ctx: Context, path: Path) -> int:
    """Load one file; returns the number of resources stored."""
    if path.suffix == ".ndjson":
        return sum(_store(ctx, resource, f"{path}, line {n}") for n, resource in _ndjson(path))
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise LoadError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or "resourceType" not in data:
        raise LoadError(f"{path}: not a FHIR resource")
    if data["resourceType"] == "Bundle" and data.get("type") in ("transaction", "batch"):
        return post_bundle(ctx, data, path)
    if data["resourceType"] == "Bundle" and data.get("type") in ("collection", "searchset"):
        entries = data.get("entry") or []
        return sum(_store(ctx, e.get("resource"), f"{path}, Bundle.entry[{i}]") for i, e in enumerate(entries))
    return _store(ctx, data, str(path))


def _ndjson(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield number, orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise LoadError(f"{path}, line {number}: not valid JSON ({exc})") from exc


def post_bundle(ctx: Context, bundle: dict[str, Any], path: Path) -> int:
    try:
        response = ctx.dispatch(FhirRequest("POST", [], body=bundle))
    except FhirError as exc:
        raise LoadError(f"{path}: {_describe(exc)}") from exc
    answer = response.resource
    assert answer is not None  # a batch or transaction is answered with a Bundle
    failed = [(i, e) for i, e in enumerate(answer["entry"]) if not e["response"]["status"].startswith("2")]
    if failed:
        index, entry = failed[0]
        outcome = entry["response"].get("outcome", {})
        text = "; ".join(i.get("diagnostics", "") for i in outcome.get("issue", []))
        raise LoadError(f"{path}, Bundle.entry[{index}]: {entry['response']['status']} {text}")
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
