"""Running a compiled search against storage, through the access policy.

Used by search, the conditional interactions (create, update, delete, patch) and conditional
references in transactions, so that all of them see the same matches the caller may see.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from pymongo.client_session import ClientSession

from fhir_server.errors import BadRequest
from fhir_server.rest import Context
from fhir_server.search.compile import CompiledSearch, compile_search


def parse_condition(text: str, rtype: str) -> list[tuple[str, str]]:
    """Parameters of a condition such as ``identifier=a|b`` or ``Patient?identifier=a|b``."""
    query = text.split("?", 1)[1] if "?" in text else text
    params = parse_qsl(query, keep_blank_values=True)
    if not params:
        raise BadRequest(f"The condition '{text}' has no search parameters")
    return params


def scoped_filter(ctx: Context, compiled: CompiledSearch, rtype: str) -> dict[str, Any]:
    """The compiled filter narrowed by the access policy."""
    narrowing = ctx.policy.search_filter(rtype)
    if not narrowing:
        return compiled.filter
    return {"$and": [compiled.filter, narrowing]}


def conditional_matches(ctx: Context, rtype: str, params: list[tuple[str, str]],
                        session: ClientSession | None) -> list[dict[str, Any]]:
    """Up to two matching documents: enough to tell none, one and several apart.

    Unknown parameters are refused here (strict handling): a condition silently reduced to
    nothing would match everything and update or delete the wrong resource.
    """
    compiled = compile_search(rtype, params, strict=True)
    docs = ctx.store.find(scoped_filter(ctx, compiled, rtype), limit=2, session=session,
                          projection={"i": 0, "s": 0})
    return [d for d in docs if ctx.policy.visible(d)]
