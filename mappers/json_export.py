"""Reading the JSON exports of our own design (examination protocols, instrumental studies).

Each export format has a JSON Schema (draft 2020-12) in ``mappers/schemas/``; a record is checked
against it before mapping, so the mapper itself only meets well-formed data. A file holds one
record (a JSON object), several (a JSON array), or one record per line (``.ndjson``, the form
large exports take: it streams and its errors carry line numbers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import MappingError

SCHEMAS = Path(__file__).parent / "schemas"


@cache
def registry() -> Registry:
    """Every schema of ``schemas/`` by its ``$id``, so that ``$ref`` never leaves the package."""
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        resources.append((schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft202012Validator:
    """The compiled validator of ``schemas/<name>.schema.json`` (compiled once per process)."""
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=registry())


def parse_record(source: Mapping[str, Any] | str | bytes, schema: str) -> dict[str, Any]:
    """One record, parsed if it is text, and checked against the schema."""
    record = _loads(source) if isinstance(source, (str, bytes)) else dict(source)
    check(record, schema)  # the schemas require an object at the top
    return dict(record)


def check(record: Any, schema: str) -> None:
    """Raise a :class:`MappingError` naming the JSON path of the first schema violation."""
    error = best_match(validator(schema).iter_errors(record))
    if error is None:
        return
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    message, shown = error.message, repr(error.instance)
    if len(shown) > 80 and message.startswith(shown):  # do not echo a whole sub-document
        message = "the value" + message[len(shown):]
    if error.validator == "not" and error.validator_value == {}:  # {"not": {}}: a property forbidden here
        message = "is not allowed here"
    if error.validator in ("contains", "minContains", "maxContains") and isinstance(error.schema, dict):
        message += f" ({error.schema.get('description', '')})".replace(" ()", "")
    raise MappingError(message, where=f"${path}")


def records(path: Path) -> Iterator[tuple[Any, str | None, int | None]]:
    """The records of an export file: ``(record, where, line)``; a record is named by its line in an
    NDJSON file and by its index (``record [2]``) in a JSON array."""
    data = path.read_bytes()
    if path.suffix.lower() == ".ndjson":
        for number, raw in enumerate(data.splitlines(), start=1):
            if raw.strip():
                yield _loads(raw, line=number), None, number
        return
    parsed = _loads(data)
    if isinstance(parsed, list):
        for index, record in enumerate(parsed):
            yield record, f"record [{index}]", None
    else:
        yield parsed, None, None


def _loads(text: str | bytes, line: int | None = None) -> Any:
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise MappingError(f"not UTF-8 text (byte {exc.start})", line=line) from None
    except json.JSONDecodeError as exc:
        raise MappingError(f"invalid JSON: {exc.msg} (column {exc.colno})",
                           line=line if line is not None else exc.lineno) from None


def map_file(path: Path, mapper: Any) -> list[dict[str, Any]]:
    """Every record of ``path`` through ``mapper``; an error names the file and the record."""
    bundles = []
    try:
        for record, where, line in records(path):
            try:
                bundles.append(mapper(record))
            except MappingError as exc:
                raise exc.within(where=where, line=line) from None
    except MappingError as exc:
        raise exc.within(path.name) from None
    return bundles
