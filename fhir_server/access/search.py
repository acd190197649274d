"""Running compiled searches against storage, through the access policy.

Used by search, the conditional interactions (create, update, delete, patch) and conditional
references in transactions, so that all of them see the same matches the caller may see. Every
read a search makes besides its matches goes through the policy here too:

- the inner queries of chains and ``_has`` (:class:`PolicyResolver`): the policy's search filter
  of the inner type, then ``visible`` on each inner match;
- ``_include``/``_revinclude`` (:func:`by_ids`, :func:`by_query`): the policy's search filter of
  each included type, then ``visible`` on every included document, exactly as for matches
  (http://hl7.org/fhir/R4/search.html#include; three anchor servers leaked patient compartments
  through includes).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from pymongo.client_session import ClientSession

from fhir_server.access.policy import OpenAccess
from fhir_server.errors import BadRequest
from fhir_server.rest import Context
from fhir_server.search.compile import CompiledSearch, compile_search
from fhir_server.search.custom import sync as sync_search_parameters
from fhir_server.search.include import include_query

#: What a search reads of its matches: not the index entries (the sort keys serve paging).
PAGE_PROJECTION = {"i": 0, "r": 0}
#: Matches whose references ``_include`` follows keep their value entries.
INCLUDE_PROJECTION = {"r": 0}


def parse_condition(text: str, rtype: str) -> list[tuple[str, str]]:
    """Parameters of a condition such as ``identifier=a|b`` or ``Patient?identifier=a|b``."""
    query = text.split("?", 1)[1] if "?" in text else text
    params = parse_qsl(query, keep_blank_values=True)
    if not params:
        raise BadRequest(f"The condition '{text}' has no search parameters")
    return params


def narrowed(ctx: Context, rtype: str, query: dict[str, Any]) -> dict[str, Any]:
    """``query`` narrowed by the access policy's search filter of ``rtype``."""
    narrowing = ctx.policy.search_filter(rtype)
    return {"$and": [query, narrowing]} if narrowing else query


def scoped_filter(ctx: Context, compiled: CompiledSearch, rtype: str) -> dict[str, Any]:
    """The compiled filter narrowed by the access policy."""
    return narrowed(ctx, rtype, compiled.filter)


class PolicyResolver:
    """Runs the inner queries of chains and ``_has`` as the caller (see module docstring)."""

    def __init__(self, ctx: Context, session: ClientSession | None = None) -> None:
        self.ctx = ctx
        self.session = session
        self.open = isinstance(ctx.policy, OpenAccess)

    def _find(self, rtype: str, query: dict[str, Any], limit: int, keep: dict[str, int]) -> list[dict[str, Any]]:
        projection = keep if self.open else {"r": 0, "s": 0}
        docs = self.ctx.store.find(narrowed(self.ctx, rtype, query), projection=projection, limit=limit,
                                   session=self.session)
        return docs if self.open else [d for d in docs if self.ctx.policy.visible(d)]

    def ids(self, resource_type: str, query: dict[str, Any], limit: int) -> list[str]:
        return [d["_id"] for d in self._find(resource_type, query, limit, {"_id": 1})]

    def references(self, resource_type: str, query: dict[str, Any], code: str, limit: int) -> list[str] | None:
        docs = self._find(resource_type, query, limit + 1, {"i": 1, "t": 1, "id": 1})
        if len(docs) > limit:
            return None
        return [e["v"] for d in docs for e in d.get("i", ()) if e["p"] == code and isinstance(e.get("v"), str)]


def compile_for(ctx: Context, rtype: str, params: list[tuple[str, str]], *, strict: bool,
                session: ClientSession | None = None) -> CompiledSearch:
    """compile_search with this server's base URL and the caller's resolver for chains, with the
    SearchParameters created through the API up to date."""
    sync_search_parameters(ctx.store.store)
    return compile_search(rtype, params, strict=strict, base_url=ctx.base_url,
                          resolver=PolicyResolver(ctx, session))


def by_ids(ctx: Context, refs: list[str], session: ClientSession | None = None) -> list[dict[str, Any]]:
    """The current documents ``Type/id`` the caller may see (``_include``), in ``refs`` order."""
    by_type: dict[str, list[str]] = {}
    for ref in refs:
        by_type.setdefault(ref.split("/", 1)[0], []).append(ref)
    found: dict[str, dict[str, Any]] = {}
    for rtype, ids in by_type.items():
        query = narrowed(ctx, rtype, include_query(rtype, ids))
        for doc in ctx.store.find(query, projection=INCLUDE_PROJECTION, session=session):
            if ctx.policy.visible(doc):
                found[doc["_id"]] = doc
    return [found[r] for r in refs if r in found]


def by_query(ctx: Context, rtype: str, query: dict[str, Any], limit: int,
             session: ClientSession | None = None) -> list[dict[str, Any]]:
    """Up to ``limit`` documents matching ``query`` that the caller may see (``_revinclude``)."""
    docs = ctx.store.find(narrowed(ctx, rtype, query), projection=INCLUDE_PROJECTION, limit=limit,
                          sort=[("_id", 1)], session=session)
    return [d for d in docs if ctx.policy.visible(d)]


def conditional_matches(ctx: Context, rtype: str, params: list[tuple[str, str]],
                        session: ClientSession | None) -> list[dict[str, Any]]:
    """Up to two matching documents: enough to tell none, one and several apart.

    Unknown parameters are refused here (strict handling): a condition silently reduced to
    nothing would match everything and update or delete the wrong resource.
    """
    compiled = compile_for(ctx, rtype, params, strict=True, session=session)
    docs = ctx.store.find(scoped_filter(ctx, compiled, rtype), limit=2, session=session,
                          projection={"i": 0, "r": 0, "s": 0})
    return [d for d in docs if ctx.policy.visible(d)]
