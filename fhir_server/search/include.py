"""``_include`` and ``_revinclude`` (http://hl7.org/fhir/R4/search.html#include).

- ``_include=Observation:subject`` adds the resources the matches' ``subject`` references;
  ``Observation:subject:Patient`` only the Patients; ``Observation:*`` or ``*`` every reference
  parameter of the source type;
- ``_revinclude=Provenance:target`` adds the Provenances whose ``target`` references a match;
- ``:iterate`` (and R3's ``:recurse``) repeats the inclusion on the resources included, until
  nothing new comes (at most :data:`MAX_ROUNDS` rounds).

Included resources are entries with ``search.mode = include``. They are read through the
caller's ``Fetcher``, which applies the access policy exactly as for matches (the search
filter of their type, then ``visible`` on each): a reference to a resource the caller may not
see includes nothing. Both follow-ups are index-backed: ``_include`` reads by ``_id``
(``Type/id``), ``_revinclude`` by ``type_value`` (``t, i.p, i.v``). At most :data:`LIMIT`
resources are included per page; beyond that the bundle carries a warning outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fhir_server.spec.resource_types import is_resource_type

from ..errors import BadRequest
from .parameters import search_param, search_params

LIMIT = 1000
MAX_ROUNDS = 4
ITERATE = ("iterate", "recurse")


@dataclass(frozen=True)
class Include:
    """One ``_include``/``_revinclude`` value: source type, reference codes, target type."""

    source: str  # a resource type, or "*" (any source type)
    codes: tuple[str, ...]  # empty with source "*": every reference parameter
    target: str | None
    iterate: bool
    reverse: bool


def _reference_codes(resource_type: str) -> tuple[str, ...]:
    return tuple(code for code, p in search_params(resource_type).items() if p.type == "reference" and p.extractable)


def parse_one(name: str, value: str) -> Include:
    """``Source:code[:Target]``, ``Source:*`` or ``*``; a 400 naming the parameter if malformed."""
    base, _, modifier = name.partition(":")
    if modifier and modifier not in ITERATE:
        raise BadRequest(f"{name}: unknown modifier ':{modifier}'")
    iterate, reverse = bool(modifier), base == "_revinclude"
    if value == "*":
        if reverse:
            raise BadRequest(f"{name}: '*' needs a source type for _revinclude ('Type:*')")
        return Include("*", (), None, iterate, reverse)
    parts = value.split(":")
    if len(parts) not in (2, 3) or not is_resource_type(parts[0]):
        raise BadRequest(f"{name}: expected [type]:[parameter] or [type]:[parameter]:[target type], got {value!r}")
    source, code = parts[0], parts[1]
    target = parts[2] if len(parts) == 3 else None
    if target is not None and not is_resource_type(target):
        raise BadRequest(f"{name}: {target!r} is not a resource type")
    if code == "*":
        return Include(source, _reference_codes(source), target, iterate, reverse)
    param = search_param(source, code)
    if param is None or param.type != "reference":
        raise BadRequest(f"{name}: {source} has no reference parameter {code!r}")
    return Include(source, (code,), target, iterate, reverse)


def parse_includes(control: dict[str, list[str]]) -> list[Include]:
    found = []
    for name, raws in control.items():
        if name.split(":", 1)[0] in ("_include", "_revinclude"):
            found += [parse_one(name, raw) for raw in raws if raw]
    return found


def references(doc: dict[str, Any], spec: Include) -> list[str]:
    """The ``Type/id`` references of ``doc`` that ``spec`` follows (from its index entries)."""
    if spec.source not in ("*", doc.get("t")):
        return []
    codes = set(spec.codes) if spec.codes else set(_reference_codes(doc["t"]))
    out = []
    for entry in doc.get("i", ()):
        value = entry.get("v")
        if entry["p"] not in codes or not isinstance(value, str) or value.count("/") != 1 or ":" in value:
            continue
        if spec.target is None or value.startswith(spec.target + "/"):
            out.append(value)
    return out


def include_query(resource_type: str, refs: list[str]) -> dict[str, Any]:
    """The current documents ``refs`` (``Type/id``, all of ``resource_type``): the ``_id`` index."""
    return {"_id": {"$in": refs}, "t": resource_type, "del": {"$ne": True}}


def revinclude_query(spec: Include, refs: list[str]) -> dict[str, Any]:
    """Resources of ``spec.source`` whose ``spec.codes`` reference one of ``refs``."""
    code: Any = spec.codes[0] if len(spec.codes) == 1 else {"$in": list(spec.codes)}
    return {"t": spec.source, "del": {"$ne": True}, "i": {"$elemMatch": {"p": code, "v": {"$in": refs}}}}


#: (references "Type/id") -> the visible current documents among them.
ById = Callable[[list[str]], list[dict[str, Any]]]
#: (resource type, query, limit) -> the visible documents matching it.
ByQuery = Callable[[str, dict[str, Any], int], list[dict[str, Any]]]


def _key(doc: dict[str, Any]) -> str:
    return f"{doc['t']}/{doc['id']}"


def included(matches: list[dict[str, Any]], specs: list[Include], by_id: ById, by_query: ByQuery,
             ) -> tuple[list[dict[str, Any]], bool]:
    """The documents the specs add to ``matches`` (none of the matches), and whether
    :data:`LIMIT` cut them short."""
    seen = {_key(d) for d in matches}
    added: list[dict[str, Any]] = []
    frontier, active = matches, specs
    for _ in range(MAX_ROUNDS):
        new = _round(frontier, active, seen, by_id, by_query, LIMIT - len(added))
        added += new
        if len(added) >= LIMIT:
            return added[:LIMIT], True
        active = [s for s in specs if s.iterate]
        if not new or not active:
            break
        frontier = new
    return added, False


def _round(frontier: list[dict[str, Any]], specs: Iterable[Include], seen: set[str], by_id: ById,
           by_query: ByQuery, room: int) -> list[dict[str, Any]]:
    new: list[dict[str, Any]] = []
    wanted = [ref for spec in specs if not spec.reverse for doc in frontier for ref in references(doc, spec)]
    wanted = [ref for ref in dict.fromkeys(wanted) if ref not in seen]
    for doc in by_id(wanted[: room + 1]) if wanted else []:
        if _key(doc) not in seen:
            seen.add(_key(doc))
            new.append(doc)
    targets = [_key(d) for d in frontier]
    for spec in specs:
        if not spec.reverse or not targets:
            continue
        for doc in by_query(spec.source, revinclude_query(spec, targets), room + 1):
            if _key(doc) not in seen:
                seen.add(_key(doc))
                new.append(doc)
    return new


def capability(resource_type: str) -> dict[str, list[str]]:
    """``searchInclude`` and ``searchRevInclude`` of the CapabilityStatement for one type."""
    from .parameters import searchable_types

    includes = ["*", *(f"{resource_type}:{c}" for c in sorted(_reference_codes(resource_type)))]
    revincludes = sorted(
        f"{source}:{code}"
        for source in searchable_types()
        for code, p in search_params(source).items()
        if p.type == "reference" and p.extractable and (resource_type in p.targets or "Resource" in p.targets)
    )
    out = {"searchInclude": includes}
    if revincludes:
        out["searchRevInclude"] = revincludes
    return out
