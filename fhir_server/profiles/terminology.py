"""Value set membership for required bindings (http://hl7.org/fhir/R4/terminologies.html#required).

Only what can be decided locally is decided: a value set whose ``compose`` enumerates its
codes, includes whole code systems the registry holds (every concept, nested ones too), or
other such value sets. A value set that includes a whole external system (ICD-10, LOINC) is
checked by system only: a code "from ICD-10" must carry the ICD-10 system. A value set with
filters (``is-a``...) cannot be expanded without a terminology server: :func:`expand` gives
None and the binding is not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .registry import Registry, unversioned


@dataclass(frozen=True)
class Expansion:
    """The codes of a value set, and the systems all of whose codes it includes."""

    codes: frozenset[tuple[str, str]]
    systems: frozenset[str]

    def has(self, system: str | None, code: str | None) -> bool:
        if code is None:
            return False
        if system is None:
            return any(c == code for _, c in self.codes)
        return system in self.systems or (system, code) in self.codes

    def has_code(self, code: str) -> bool:
        """For a bare ``code`` element: the system is implied by the binding."""
        return bool(self.systems) or any(c == code for _, c in self.codes)

    def describe(self, limit: int = 8) -> str:
        shown = sorted(f"{s}|{c}" for s, c in self.codes)[:limit]
        shown += sorted(f"{s}|*" for s in self.systems)
        more = len(self.codes) - limit
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def expand(registry: Registry, url: str, _seen: frozenset[str] = frozenset()) -> Expansion | None:
    """The expansion of the value set at ``url``; None when it cannot be enumerated here."""
    key = ("expansion", unversioned(url))
    if key not in registry.cache:
        registry.cache[key] = _expand(registry, key[1], _seen | {key[1]})
    result: Expansion | None = registry.cache[key]
    return result


def _expand(registry: Registry, url: str, seen: frozenset[str]) -> Expansion | None:
    valueset = registry.get(url, "ValueSet")
    if valueset is None:
        return None
    compose = valueset.get("compose")
    if compose is None:
        contains = valueset.get("expansion", {}).get("contains", [])
        return Expansion(frozenset(_flatten_contains(contains)), frozenset()) if contains else None
    codes: set[tuple[str, str]] = set()
    systems: set[str] = set()
    for include in compose.get("include", []):
        if include.get("filter"):
            return None
        for other in include.get("valueSet", []):
            if unversioned(other) in seen:
                return None
            inner = expand(registry, other, seen)
            if inner is None:
                return None
            codes |= inner.codes
            systems |= inner.systems
        system = include.get("system")
        if system is None:
            continue
        if include.get("concept"):
            codes |= {(system, c["code"]) for c in include["concept"]}
            continue
        codesystem = registry.get(system, "CodeSystem")
        if codesystem is not None and codesystem.get("content") == "complete":
            codes |= {(system, code) for code in _concepts(codesystem.get("concept", []))}
        else:
            systems.add(system)
    if compose.get("exclude"):
        return None  # never needed by our profiles; refuse to guess
    return Expansion(frozenset(codes), frozenset(systems))


def _concepts(concepts: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for concept in concepts:
        out.append(concept["code"])
        out.extend(_concepts(concept.get("concept", [])))
    return out


def _flatten_contains(contains: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for item in contains:
        if "code" in item:
            out.append((item.get("system", ""), item["code"]))
        out.extend(_flatten_contains(item.get("contains", [])))
    return out
