"""Compile FHIR search parameters into one index-backed MongoDB query (http://hl7.org/fhir/R4/search.html).

``compile_search("Observation", [("code", "http://loinc.org|8302-2"), ("date", "ge2019")])``
gives a filter over the ``resources`` collection (docs/storage.md): every supported parameter is an
``$elemMatch`` on the write-time index entries ``i``, served by the ``type_value`` or ``type_range``
index. Semantics from the spec:

- a comma inside one value ORs ("Composite search... ``a,b``"), a repeated parameter ANDs;
- an empty value is ignored; an unknown parameter is ignored (and reported in ``ignored``) unless
  the client asked for ``handling=strict``, then it is a 400
  (http://hl7.org/fhir/R4/search.html#errors);
- result parameters (``_count``, ``_sort``, ``_include``...) are returned to the caller in
  ``control``; ``_sort`` and ``_count`` are also parsed.

User input never becomes a MongoDB operator: parameter names are looked up in the registry, values
only ever appear as strings, numbers or dates, and regular expressions are escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from ..compartment import patient_compartment_params
from ..errors import BadRequest
from . import date, number, quantity, reference, string, token, uri
from .parameters import SearchParam, search_param, split_union
from .syntax import QueryOptions, unescape, values

#: Parameters about the result rather than the match, handled by the caller
#: (http://hl7.org/fhir/R4/search.html#return); ``_cursor`` carries our paging state.
RESULT_PARAMETERS = frozenset({
    "_count", "_sort", "_format", "_pretty", "_summary", "_elements", "_total", "_include",
    "_revinclude", "_contained", "_containedType", "_cursor",
})

DEFAULT_SORT: list[tuple[str, int]] = [("_id", 1)]


class Builder(Protocol):
    def __call__(self, param: SearchParam, raw: str, options: QueryOptions) -> list[dict[str, Any]]: ...


#: Query builders per parameter type; ``composite`` will register here.
BUILDERS: dict[str, Builder] = {
    "token": token.conditions,
    "string": string.conditions,
    "reference": reference.conditions,
    "date": date.conditions,
    "number": number.conditions,
    "quantity": quantity.conditions,
    "uri": uri.conditions,
}


@dataclass
class CompiledSearch:
    """A search ready for ``collection.find(filter).sort(sort)``; paging is the caller's."""

    filter: dict[str, Any]
    sort: list[tuple[str, int]] = field(default_factory=lambda: list(DEFAULT_SORT))
    count: int | None = None
    ignored: list[str] = field(default_factory=list)
    patient_scope: str | None = None
    control: dict[str, list[str]] = field(default_factory=dict)


def _elem_match(code: str, alternatives: list[dict[str, Any]]) -> dict[str, Any]:
    """OR the alternatives, each one ``$elemMatch`` on ``i`` so that each can use an index."""
    plain = [a.get("v") for a in alternatives if list(a) == ["v"] and isinstance(a["v"], str)]
    if len(alternatives) > 1 and len(plain) == len(alternatives):
        alternatives = [{"v": {"$in": plain}}]
    clauses = [{"i": {"$elemMatch": {"p": code, **alt}}} for alt in alternatives]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def _missing(code: str, raw: str) -> dict[str, Any]:
    """``:missing=true``: no entry for the parameter; ``false``: at least one."""
    if raw not in ("true", "false"):
        raise BadRequest(f"Search parameter {code!r}: ':missing' takes true or false")
    present = {"i": {"$elemMatch": {"p": code}}}
    if code == "_id":
        return {"id": {"$exists": False}} if raw == "true" else {}
    if code == "_lastUpdated":
        return {"lu": {"$exists": False}} if raw == "true" else {}
    return {"i": {"$not": present["i"]}} if raw == "true" else present


def _document_field(code: str, parts: list[str], options: QueryOptions) -> dict[str, Any]:
    """``_id`` and ``_lastUpdated`` are fields of the document (``id``, ``lu``), not entries."""
    if code == "_id":
        ids = [unescape(p) for p in parts]
        return {"id": ids[0]} if len(ids) == 1 else {"id": {"$in": ids}}
    alternatives = [
        clause
        for part in parts
        for clause in date.point_conditions("lu", *date.search_range(code, part, options))
    ]
    return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}


def _clause(param: SearchParam, parts: list[str], options: QueryOptions) -> dict[str, Any]:
    if param.code in ("_id", "_lastUpdated"):
        return _document_field(param.code, parts, options)
    builder = BUILDERS.get(param.type)
    if builder is None or not param.expression:
        raise BadRequest(f"Search parameter {param.code!r} (type {param.type}) is not supported")
    alternatives = [alt for part in parts for alt in builder(param, part, options)]
    return _elem_match(param.code, alternatives)


def _strip_patient_filter(branch: str) -> str:
    return branch.replace(".where(resolve() is Patient)", "")


@cache
def implies_compartment(resource_type: str, code: str) -> bool:
    """Whether a Patient reference found through ``code`` puts the resource in that patient's
    compartment: the parameter's paths are among those of the compartment's parameters."""
    codes = patient_compartment_params(resource_type)
    if code in codes:
        return True
    own = search_param(resource_type, code)
    if own is None or own.type != "reference" or not own.expression:
        return False
    paths = {
        _strip_patient_filter(branch)
        for c in codes
        if (p := search_param(resource_type, c)) is not None
        for branch in split_union(p.expression)
    }
    return all(_strip_patient_filter(b) in paths for b in split_union(own.expression))


def _scope(resource_type: str, param: SearchParam, parts: list[str], options: QueryOptions) -> str | None:
    """The patient id a one-valued search on this parameter confines the result to, if any."""
    if len(parts) != 1:
        return None
    if resource_type == "Patient" and param.code == "_id":
        return unescape(parts[0])
    if param.type != "reference" or not implies_compartment(resource_type, param.code):
        return None
    target = reference.single_target(param, parts[0], options)
    return target[len("Patient/"):] if target and target.startswith("Patient/") else None


def parse_sort(resource_type: str, raw: list[str]) -> list[tuple[str, int]]:
    """``_sort=-date`` -> ``[("s.date", -1), ("_id", 1)]`` (http://hl7.org/fhir/R4/search.html#sort)."""
    keys = [k for r in raw for k in r.split(",") if k]
    if not keys:
        return list(DEFAULT_SORT)
    if len(keys) > 1:
        raise BadRequest("_sort on more than one parameter is not supported")
    direction = -1 if keys[0].startswith("-") else 1
    code = keys[0].lstrip("-")
    if code == "_id":
        return [("_id", direction)]
    if code == "_lastUpdated":
        return [("lu", direction), ("_id", 1)]
    param = search_param(resource_type, code)
    if param is None or not param.extractable:
        raise BadRequest(f"Cannot sort on {code!r}: not a supported search parameter of {resource_type}")
    return [(f"s.{code}", direction), ("_id", 1)]


def parse_count(raw: list[str]) -> int | None:
    if not raw or raw[-1] == "":
        return None
    try:
        count = int(raw[-1])
    except ValueError:
        count = -1
    if count < 0:
        raise BadRequest(f"_count must be a non-negative integer, got {raw[-1]!r}")
    return count


def _combine(base: dict[str, Any], clauses: list[dict[str, Any]]) -> dict[str, Any]:
    clauses = [c for c in clauses if c]
    if len(clauses) == 1 and not set(clauses[0]) & set(base):
        return {**base, **clauses[0]}
    return {**base, "$and": clauses} if clauses else base


def compile_search(
    resource_type: str,
    params: list[tuple[str, str]],
    *,
    strict: bool = False,
    base_url: str | None = None,
    now: datetime | None = None,
) -> CompiledSearch:
    """Compile the query parameters of ``GET [base]/[type]?...`` (see module docstring)."""
    options = QueryOptions(base_url=base_url, now=now) if now else QueryOptions(base_url=base_url)
    result = CompiledSearch(filter={})
    clauses: list[dict[str, Any]] = []
    for name, raw in params:
        code, _, modifier = name.partition(":")
        if code in RESULT_PARAMETERS:
            result.control.setdefault(name, []).append(raw)
            continue
        param = _known(resource_type, code, name, strict, result)
        if param is None or raw == "":
            continue
        if modifier == "missing":
            clauses.append(_missing(code, raw))
            continue
        if modifier:
            raise BadRequest(f"Search parameter {name!r}: modifier ':{modifier}' is not supported")
        parts = [p for p in values(raw) if p != ""]
        if not parts:
            continue
        clauses.append(_clause(param, parts, options))
        scope = _scope(resource_type, param, parts, options)
        if scope is not None:
            clauses.append({"cmp": scope})
            result.patient_scope = result.patient_scope or scope
    result.filter = _combine({"t": resource_type, "del": {"$ne": True}}, clauses)
    result.sort = parse_sort(resource_type, result.control.get("_sort", []))
    result.count = parse_count(result.control.get("_count", []))
    return result


def _known(resource_type: str, code: str, name: str, strict: bool, result: CompiledSearch) -> SearchParam | None:
    """The registered parameter, or None (recorded as ignored) for an unknown one."""
    if code == "_has" or "." in code and _is_chain(resource_type, code):
        raise BadRequest(f"Search parameter {name!r}: chaining and _has are not supported yet")
    param = search_param(resource_type, code)
    if param is None:
        if strict:
            raise BadRequest(f"Unknown search parameter {name!r} for {resource_type}")
        result.ignored.append(name)
    return param


def _is_chain(resource_type: str, code: str) -> bool:
    head = search_param(resource_type, code.split(".", 1)[0])
    return head is not None and head.type == "reference"
