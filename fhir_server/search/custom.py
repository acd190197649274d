"""SearchParameter resources created through the API become searchable
(http://hl7.org/fhir/R4/searchparameter.html, http://hl7.org/fhir/R4/search.html#custom).

The registry of API-defined parameters is the set of current ``SearchParameter`` documents. Each
process keeps a copy (:func:`sync`, called before every write and every search): at most every
:data:`REFRESH_SECONDS` it reads the newest ``lu`` of the type (one ``type_updated`` index probe)
and reloads when it changed. The process that writes a SearchParameter registers it at once
(:func:`register_now`, from the extraction of the written resource) and reloads from the
database at its next sync. A definition is registered for each concrete ``base`` type when:

- its ``type`` is one we index (string, token, reference, date, number, quantity, uri) or a
  composite whose components we can index, and ``status`` is not ``retired``;
- its ``code`` is not an official code of that type (official parameters are never redefined);
- its ``expression`` compiles (closures or fhirpathpy).

From then on, writes extract its entries like any parameter's. Resources stored before are
reindexed by a job recorded in the ``reindex`` collection (:mod:`.reindex`), which reports its
progress there and runs in the background of the server or with
``python -m fhir_server.search.reindex``. Until it finishes, older resources may be missing from
the results of the new parameter.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from fhir_server.storage.mongo import Store

from .fhirpath import compile_expression
from .parameters import ABSTRACT_BASES, SUPPORTED_TYPES, SearchParam, make_param, official_params, set_custom

REFRESH_SECONDS = 1.0
log = logging.getLogger("fhir_server.search")

_lock = threading.Lock()
_seen: dict[int, Any] = {}  # id(store.db) -> (monotonic time checked, stamp loaded)
_loaded: dict[str, dict[str, SearchParam]] = {}


def _usable(param: SearchParam, resource_type: str) -> bool:
    if not param.expression or not (param.type in SUPPORTED_TYPES or param.type == "composite"):
        return False
    if not param.extractable:
        return False
    try:  # compiled and tried once: fhirpathpy reports some errors only when evaluating
        compile_expression(param.expression, resource_type)({"resourceType": resource_type, "id": "x"})
    except Exception:  # noqa: BLE001 - any expression fhirpathpy refuses is simply not registered
        return False
    return True


def registered(definitions: list[dict[str, Any]]) -> dict[str, dict[str, SearchParam]]:
    """The parameters these SearchParameter resources define, by type and code."""
    out: dict[str, dict[str, SearchParam]] = {}
    for definition in definitions:
        if definition.get("status") == "retired" or not isinstance(definition.get("code"), str):
            continue
        for base in definition.get("base") or ():
            if base in ABSTRACT_BASES or definition["code"] in official_params(base):
                continue
            try:
                param = make_param(definition, base, base)
            except (KeyError, TypeError, ValueError):
                continue
            if _usable(param, base):
                out.setdefault(base, {})[param.code] = param
    return out


def _stamp(store: Store) -> Any:
    latest = store.resources.find_one({"t": "SearchParameter"}, {"lu": 1, "_id": 0}, sort=[("lu", -1)])
    return latest["lu"] if latest else None


def sync(store: Store, *, force: bool = False) -> None:
    """Bring this process's registry up to date with ``store`` (rate-limited unless forced)."""
    key = id(store.db)
    now = time.monotonic()
    last = _seen.get(key)
    if not force and last is not None and now - last[0] < REFRESH_SECONDS:
        return
    stamp = _stamp(store)
    if last is not None and last[1] == stamp and not force:
        _seen[key] = (now, stamp)
        return
    with _lock:
        docs = list(store.resources.find({"t": "SearchParameter", "del": {"$ne": True}}, {"res": 1, "vid": 1}))
        _loaded.clear()
        _loaded.update(registered([d["res"] for d in docs]))
        set_custom({t: dict(p) for t, p in _loaded.items()})
        _seen[key] = (now, stamp)
    from . import reindex

    reindex.schedule(store, [d for d in docs if registered([d["res"]])])


def register_now(definition: dict[str, Any]) -> None:
    """Register a SearchParameter being written, in this process, before its transaction commits;
    the next :func:`sync` of any store reloads from the database (dropping it if it never was)."""
    found = registered([definition])
    if not found:
        return
    with _lock:
        merged = {t: dict(p) for t, p in _loaded.items()}
        for rtype, params in found.items():
            merged.setdefault(rtype, {}).update(params)
        set_custom(merged)
        _seen.clear()
