"""``GET|POST [base]/Observation/$lastn`` (http://hl7.org/fhir/R4/observation-operation-lastn.html).

The most recent ``max`` Observations (default 1) for each patient and each code, among those
matching the ordinary Observation search parameters given with it (``patient``, ``category``,
``code``, ``date``...; unknown ones are a 400, as with ``Prefer: handling=strict``).

* The patient of an Observation is its ``subject`` reference (``Patient/123``); Observations
  about something else group under their subject as written, those without one together.
* Two Observations have the same code when ``Observation.code`` holds the same set of codings
  (system and code); an uncoded one is grouped by ``code.text``.
* "Most recent" is by the start of ``effective[x]`` (dateTime, Period.start, instant), else
  ``issued``; the latest first, ties broken by ``meta.lastUpdated`` then id. Observations with
  no date come last in their group.

More than ``SCAN_LIMIT`` matching Observations (a query without a patient over a large card
store) is a 400 asking to narrow the query. ``_count`` and ``_sort`` do not apply (the operation
defines its own order) and are a 400.
The query is the compiled search narrowed by the access policy; every document returned
passes ``visible``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fhir_server.access.search import scoped_filter
from fhir_server.errors import BadRequest
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.search.compile import compile_search
from fhir_server.search.date import FAR_PAST, parse_range

from .compartment_query import PROJECTION
from .params import collect, integer, require_type

NAME = "$lastn"
REFUSED = ("_count", "_sort", "_include", "_revinclude", "_summary", "_elements", "_total", "_contained",
           "_containedType")
#: Observations one call may consider (a patient's whole lab history fits many times over).
SCAN_LIMIT = 20_000
GroupKey = tuple[str, tuple[tuple[str, str], ...]]


def handle(ctx: Context, req: FhirRequest) -> FhirResponse:
    require_type(req, "Observation", NAME)
    params = collect(req, NAME, frozenset({"max"}), passthrough=frozenset(
        name.split(":")[0] for name, _ in req.params))
    most = integer(params, "max", minimum=1) or 1
    search = [(k, v) for k, values in params.values.items() if k != "max" for v in values]
    refused = sorted({k.split(":")[0] for k, _ in search} & set(REFUSED))
    if refused:
        raise BadRequest(f"{NAME}: {', '.join(refused)} cannot be used with $lastn", expression=refused)
    compiled = compile_search("Observation", search, strict=True)
    docs = ctx.store.find(scoped_filter(ctx, compiled, "Observation"), projection=PROJECTION,
                          limit=SCAN_LIMIT + 1)
    if len(docs) > SCAN_LIMIT:
        raise BadRequest(f"{NAME}: more than {SCAN_LIMIT} Observations match; narrow the query "
                         "(patient, category, code, date)")
    chosen = last_n([d for d in docs if ctx.policy.visible(d)], most)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(chosen),
                              "link": [{"relation": "self", "url": _self_url(ctx, req)}]}
    if chosen:
        bundle["entry"] = [{"fullUrl": f"{ctx.base_url}/Observation/{d['id']}", "resource": d["res"],
                            "search": {"mode": "match"}} for d in chosen]
    return FhirResponse(200, bundle)


def group_key(observation: dict[str, Any]) -> GroupKey:
    """(patient reference, codes) of an Observation, as the module docstring defines them."""
    subject = observation.get("subject") or {}
    patient = subject.get("reference", "") if isinstance(subject, dict) else ""
    code = observation.get("code") or {}
    codings = tuple(sorted({(c.get("system", ""), c.get("code", "")) for c in code.get("coding", [])
                            if isinstance(c, dict) and c.get("code")}))
    return patient, codings or (("#text", code.get("text", "")),)


def effective_start(observation: dict[str, Any]) -> datetime | None:
    for key in ("effectiveDateTime", "effectiveInstant"):
        if isinstance(observation.get(key), str):
            found = parse_range(observation[key])
            return found[0] if found else None
    period = observation.get("effectivePeriod")
    if isinstance(period, dict) and isinstance(period.get("start"), str):
        found = parse_range(period["start"])
        return found[0] if found else None
    if isinstance(observation.get("issued"), str):
        found = parse_range(observation["issued"])
        return found[0] if found else None
    return None


def last_n(docs: list[dict[str, Any]], most: int) -> list[dict[str, Any]]:
    """The ``most`` latest documents of each group, groups in key order, latest first within."""
    groups: dict[GroupKey, list[dict[str, Any]]] = {}
    for doc in docs:
        groups.setdefault(group_key(doc["res"]), []).append(doc)
    out: list[dict[str, Any]] = []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=_recency, reverse=True)
        out.extend(ordered[:most])
    return out


def _recency(doc: dict[str, Any]) -> tuple[datetime, datetime, str]:
    when = effective_start(doc["res"])
    return when or FAR_PAST, doc.get("lu") or FAR_PAST, doc["id"]


def _self_url(ctx: Context, req: FhirRequest) -> str:
    from urllib.parse import urlencode

    query = urlencode(req.params)
    return f"{ctx.base_url}/Observation/{NAME}" + (f"?{query}" if query else "")
