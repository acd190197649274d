"""Chained parameters (http://hl7.org/fhir/R4/search.html#chaining).

``Observation?subject:Patient.name=peter`` means "observations whose subject is a Patient named
peter". MongoDB has no join that an index serves, so a chain is compiled inside out: the inner
search (``Patient?name=peter``) runs first as an ordinary index-backed query, bounded to
:data:`LIMIT` matches, and the outer clause is an ``$in`` of their references on the
``type_value`` index: ``{i: {$elemMatch: {p: "subject", v: {$in: ["Patient/1", ...]}}}}``.
Chains of several links (``subject.organization.name=x``) recurse the same way, the innermost
first. A search whose inner part matches more than :data:`LIMIT` resources is refused with a
``too-costly`` 400 rather than scanned.

Without a type qualifier the chain runs over every target type of the reference parameter that
has the chained parameter (spec: "the server SHOULD ... search all the types").

Inner queries go through a :class:`Resolver`, which the search service implements with the
access policy applied (so a chain never tests resources the caller may not see).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..errors import BadRequest
from .parameters import SearchParam, search_param
from .reference import typed

#: Most resources an inner (chained or ``_has``) search may match.
LIMIT = 10_000


class TooCostly(BadRequest):
    code = "too-costly"


class Resolver(Protocol):
    """Runs the inner queries of chains and ``_has`` (implemented by the search service)."""

    def ids(self, resource_type: str, query: dict[str, Any], limit: int) -> list[str]:
        """Up to ``limit`` document ``_id`` values (``Type/id``) matching ``query``."""
        ...

    def references(self, resource_type: str, query: dict[str, Any], code: str, limit: int) -> list[str] | None:
        """The values of the ``code`` reference entries of the matches; None if more than
        ``limit`` resources match."""
        ...


#: compile_search(resource_type, params) -> something with a ``filter``, recursion hook.
InnerCompiler = Callable[[str, list[tuple[str, str]]], Any]


def require_resolver(name: str, resolver: Resolver | None) -> Resolver:
    if resolver is None:
        raise BadRequest(f"Search parameter {name!r}: chaining and _has are not available here")
    return resolver


def reference_param(resource_type: str, code: str, name: str) -> SearchParam:
    param = search_param(resource_type, code)
    if param is None:
        raise BadRequest(f"Search parameter {name!r}: {resource_type} has no parameter {code!r}")
    if param.type != "reference":
        raise BadRequest(f"Search parameter {name!r}: {code!r} is a {param.type} parameter, "
                         "only reference parameters can be chained")
    return param


def _targets(param: SearchParam, qualifier: str, inner_code: str, name: str) -> list[str]:
    if qualifier:
        return [typed(param, qualifier)]
    types = [t for t in param.targets if t != "Resource" and search_param(t, inner_code) is not None]
    if not types:
        raise BadRequest(f"Search parameter {name!r}: no target type of {param.code!r} has a parameter "
                         f"{inner_code!r}; add a type, as in '{param.code}:Patient.{inner_code}'")
    return types


def chain_clause(resource_type: str, name: str, raw: str, resolver: Resolver | None,
                 compile_inner: InnerCompiler) -> dict[str, Any]:
    """The outer clause of ``name=raw`` where ``name`` is ``ref[:Type].rest``."""
    head, _, rest = name.partition(".")
    code, _, qualifier = head.partition(":")
    param = reference_param(resource_type, code, name)
    if not rest:
        raise BadRequest(f"Search parameter {name!r}: nothing after the '.'")
    inner_code = rest.split(".", 1)[0].split(":", 1)[0]
    found: list[str] = []
    for target in _targets(param, qualifier, inner_code, name):
        inner = compile_inner(target, [(rest, raw)])
        found += require_resolver(name, resolver).ids(target, inner.filter, LIMIT + 1 - len(found))
        if len(found) > LIMIT:
            raise TooCostly(f"Search parameter {name!r} matches more than {LIMIT} {target} resources; "
                            "narrow it")
    return {"i": {"$elemMatch": {"p": code, "v": {"$in": found}}}}
