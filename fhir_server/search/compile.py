"""Compile FHIR search parameters into one index-backed MongoDB query (http://hl7.org/fhir/R4/search.html).

``compile_search("Observation", [("code", "http://loinc.org|8302-2"), ("date", "ge2019")])``
gives a filter over the ``resources`` collection (docs/storage.md): every supported parameter is an
``$elemMatch`` on the write-time index entries, ``i`` (token, string, uri, reference: the
``type_value`` index) or ``r`` (date, number, quantity: ``type_range``). Semantics from the spec:

- a comma inside one value ORs ("Composite search... ``a,b``"), a repeated parameter ANDs;
- an empty value is ignored; an unknown parameter is ignored (and reported in ``ignored``) unless
  the client asked for ``handling=strict``, then it is a 400
  (http://hl7.org/fhir/R4/search.html#errors);
- modifiers (#modifiers) are the type modules' (``:exact``, ``:contains``, ``:text``,
  ``:of-type``, ``:identifier``, ``:[type]``, ``:above``, ``:below``) except ``:missing`` and
  ``:not``, which apply to any parameter and are compiled here;
- chains and ``_has`` (#chaining, #has) are :mod:`.chain` and :mod:`.has`: their inner searches
  run first through a :class:`~.chain.Resolver`;
- result parameters (``_count``, ``_sort``, ``_include``...) are returned to the caller in
  ``control``; ``_sort`` and ``_count`` are also parsed (:mod:`.sort`).

User input never becomes a MongoDB operator: parameter names are looked up in the registry, values
only ever appear as strings, numbers or dates, and regular expressions are escaped. Any error
is a 400 naming the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from fhir_server.spec.compartment import patient_compartment_params

from ..errors import BadRequest
from . import composite, date, reference, string
from .chain import Resolver, chain_clause
from .extract import entry_array
from .has import has_clause
from .parameters import SearchParam, search_param, split_union
from .sort import DEFAULT_SORT, parse_count, parse_sort
from .syntax import QueryOptions, unescape, values
from .types import parameter_type

__all__ = ["DEFAULT_SORT", "CompiledSearch", "compile_search", "implies_compartment", "parse_count",
           "parse_sort"]

#: Parameters about the result rather than the match, handled by the caller
#: (http://hl7.org/fhir/R4/search.html#return); ``_cursor`` carries our paging state.
RESULT_PARAMETERS = frozenset({
    "_count", "_sort", "_format", "_pretty", "_summary", "_elements", "_total", "_include",
    "_revinclude", "_contained", "_containedType", "_cursor",
})

#: Modifiers any parameter takes (http://hl7.org/fhir/R4/search.html#modifiers).
NEGATION = "not"


@dataclass
class CompiledSearch:
    """A search ready for ``collection.find(filter).sort(sort)``; paging is the caller's."""

    filter: dict[str, Any]
    sort: list[tuple[str, int]] = field(default_factory=lambda: list(DEFAULT_SORT))
    count: int | None = None
    ignored: list[str] = field(default_factory=list)
    patient_scope: str | None = None
    control: dict[str, list[str]] = field(default_factory=dict)


def field_of(param: SearchParam) -> str:
    """``i`` or ``r``: where the entries of ``param`` are stored."""
    if param.type == "composite":
        return entry_array(composite.last_type(param))
    return entry_array(param.type)


def elem_match(array: str, code: str, alternatives: list[dict[str, Any]]) -> dict[str, Any]:
    """OR the alternatives, each one ``$elemMatch`` on ``array`` so that each can use an index.

    An alternative may name its own ``p`` (``:identifier``, composites); plain values of the
    same parameter merge into one ``$in``."""
    plain = [a.get("v") for a in alternatives if list(a) == ["v"] and isinstance(a["v"], str)]
    if len(alternatives) > 1 and len(plain) == len(alternatives):
        alternatives = [{"v": {"$in": plain}}]
    clauses = [{array: {"$elemMatch": {"p": code, **alt}}} for alt in alternatives]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def _missing(param: SearchParam, raw: str) -> dict[str, Any]:
    """``:missing=true``: no entry for the parameter; ``false``: at least one (#missing)."""
    if raw not in ("true", "false"):
        raise BadRequest(f"Search parameter '{param.code}:missing' takes true or false")
    if param.code in ("_id", "_lastUpdated"):
        return {"_id": {"$exists": False}} if raw == "true" else {}
    key = f"{field_of(param)}.p"
    if param.type == "composite":
        prefix = {"$regex": "^" + string.regex_escape(param.code + composite.SEPARATOR)}
        return {key: {"$not": prefix}} if raw == "true" else {key: prefix}
    return {key: {"$ne": param.code}} if raw == "true" else {key: param.code}


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


def _clause(param: SearchParam, parts: list[str], modifier: str, options: QueryOptions) -> dict[str, Any]:
    if param.code in ("_id", "_lastUpdated"):
        if modifier:
            raise BadRequest(f"Search parameter {param.code!r}: modifier ':{modifier}' is not supported")
        return _document_field(param.code, parts, options)
    kind = parameter_type(param.type)
    if kind is None or not param.extractable:
        raise BadRequest(f"Search parameter {param.code!r} (type {param.type}) is not supported")
    if modifier == NEGATION and param.type != "token":
        raise BadRequest(f"Search parameter {param.code!r}: ':not' applies to token parameters")
    alternatives = [alt for part in parts for alt in kind.conditions(param, part, options, modifier)]
    clause = elem_match(field_of(param), param.code, alternatives)
    return {"$nor": [clause]} if modifier == NEGATION else clause


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


def _scope(resource_type: str, param: SearchParam, parts: list[str], modifier: str,
           options: QueryOptions) -> str | None:
    """The patient id a one-valued search on this parameter confines the result to, if any."""
    if len(parts) != 1 or modifier == NEGATION:
        return None
    if resource_type == "Patient" and param.code == "_id" and not modifier:
        return unescape(parts[0])
    if param.type != "reference" or not implies_compartment(resource_type, param.code):
        return None
    target = reference.single_target(param, parts[0], options, modifier)
    return target[len("Patient/"):] if target and target.startswith("Patient/") else None


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
    resolver: Resolver | None = None,
) -> CompiledSearch:
    """Compile the query parameters of ``GET [base]/[type]?...`` (see module docstring)."""
    options = QueryOptions(base_url=base_url, now=now) if now else QueryOptions(base_url=base_url)
    result = CompiledSearch(filter={})
    clauses: list[dict[str, Any]] = []

    def inner(rtype: str, inner_params: list[tuple[str, str]]) -> CompiledSearch:
        return compile_search(rtype, inner_params, strict=True, base_url=base_url, now=now, resolver=resolver)

    for name, raw in params:
        try:
            clauses += _one(resource_type, name, raw, options, strict, result, resolver, inner)
        except BadRequest as error:
            if repr(name) in str(error) or name in str(error):
                raise
            raise type(error)(f"Search parameter {name!r}: {error}") from error
    result.filter = _combine({"t": resource_type, "del": {"$ne": True}}, clauses)
    result.sort = parse_sort(resource_type, result.control.get("_sort", []))
    result.count = parse_count(result.control.get("_count", []))
    return result


def _one(resource_type: str, name: str, raw: str, options: QueryOptions, strict: bool,
         result: CompiledSearch, resolver: Resolver | None, inner: Any) -> list[dict[str, Any]]:
    """The clauses of one ``name=raw`` pair (none for ignored and result parameters)."""
    if "." in name and not name.startswith("_has:") and _is_chain(resource_type, name):
        return [chain_clause(resource_type, name, raw, resolver, inner)] if raw else []
    code, _, modifier = name.partition(":")
    if code in RESULT_PARAMETERS:
        result.control.setdefault(name, []).append(raw)
        return []
    if raw == "":
        return []
    if code == "_has":
        return [has_clause(resource_type, name, raw, resolver, inner)]
    param = _known(resource_type, code, name, strict, result)
    if param is None:
        return []
    if modifier == "missing":
        return [_missing(param, raw)]
    parts = [p for p in values(raw) if p != ""]
    if not parts:
        return []
    clauses = [_clause(param, parts, modifier, options)]
    scope = _scope(resource_type, param, parts, modifier, options)
    if scope is not None:
        clauses.append({"cmp": scope})
        result.patient_scope = result.patient_scope or scope
    return clauses


def _known(resource_type: str, code: str, name: str, strict: bool, result: CompiledSearch) -> SearchParam | None:
    """The registered parameter, or None (recorded as ignored) for an unknown one."""
    param = search_param(resource_type, code)
    if param is None:
        if strict:
            raise BadRequest(f"Unknown search parameter {name!r} for {resource_type}")
        result.ignored.append(name)
    return param


def _is_chain(resource_type: str, name: str) -> bool:
    """A dotted name whose head is a known parameter is a chain (an error if not a reference)."""
    return search_param(resource_type, name.split(".", 1)[0].partition(":")[0]) is not None
