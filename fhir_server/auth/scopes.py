"""SMART scopes (App Launch 2.2, "Scopes and Launch Context": scopes-and-launch-context.html).

Resource scopes are ``<context>/<type>.<permissions>[?<query>]``:

- context ``patient`` (the launch patient's compartment), ``user`` (what the user may see) or
  ``system`` (backend services);
- type a resource type or ``*``;
- permissions in v2 syntax, a non-empty subsequence of ``cruds`` (create, read, update, delete,
  search), or v1 ``read`` (= ``rs``), ``write`` (= ``cud``) and ``*`` (= ``cruds``);
- an optional granular query (``patient/Observation.rs?category=http://...|laboratory``): only
  token parameters of the type, each ``[system|]code``; several are ANDed, several scopes ORed.

A granular query becomes a MongoDB filter on the stored index entries (``i``) and, for a single
document, the same test in Python (:func:`matches`), so search and read agree.

Other scopes: ``launch``, ``launch/patient``, ``launch/encounter``, ``openid``, ``fhirUser``,
``profile``, ``offline_access``, ``online_access``. Anything else is unknown and never granted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from fhir_server.search import token
from fhir_server.search.parameters import search_param
from fhir_server.spec.resource_types import is_resource_type

CONTEXTS = ("patient", "user", "system")
PERMISSIONS = "cruds"
V1 = {"read": "rs", "write": "cud", "*": "cruds"}
OTHER_SCOPES = frozenset({"launch", "launch/patient", "launch/encounter", "openid", "fhirUser", "profile",
                          "offline_access", "online_access"})
RESOURCE_SCOPE = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]+)\.([a-z*]+)(?:\?(.+))?$")


@dataclass(frozen=True)
class Restriction:
    """One granular condition: an entry of token parameter ``code`` with this code and system."""

    code: str
    value: str | None
    system: str | None  # None: any system; "": no system

    def condition(self) -> dict[str, Any]:
        out: dict[str, Any] = {"p": self.code}
        if self.value is not None:
            out["v"] = self.value
        if self.system == "":
            out["s"] = {"$exists": False}
        elif self.system is not None:
            out["s"] = self.system
        return out

    def matches(self, entries: list[dict[str, Any]]) -> bool:
        for entry in entries:
            if entry.get("p") != self.code:
                continue
            if self.value is not None and entry.get("v") != self.value:
                continue
            if self.system == "" and "s" in entry:
                continue
            if self.system and entry.get("s") != self.system:
                continue
            return True
        return False


@dataclass(frozen=True)
class ResourceScope:
    context: str
    resource_type: str  # a type or "*"
    permissions: frozenset[str]
    restrictions: tuple[Restriction, ...]
    text: str

    def applies(self, context: str, resource_type: str, permission: str) -> bool:
        return (self.context == context and self.resource_type in ("*", resource_type)
                and permission in self.permissions)

    def covers(self, other: ResourceScope) -> bool:
        """Whether granting ``self`` already grants everything ``other`` asks for."""
        return (self.context == other.context and self.resource_type in ("*", other.resource_type)
                and other.permissions <= self.permissions
                and (not self.restrictions or self.restrictions == other.restrictions))

    def filter(self) -> dict[str, Any]:
        """MongoDB filter of the granular restrictions ({} when there are none)."""
        if not self.restrictions:
            return {}
        clauses = [{"i": {"$elemMatch": r.condition()}} for r in self.restrictions]
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, entries: list[dict[str, Any]]) -> bool:
        return all(r.matches(entries) for r in self.restrictions)


def parse_permissions(text: str) -> frozenset[str] | None:
    if text in V1:
        return frozenset(V1[text])
    position = -1
    for letter in text:
        index = PERMISSIONS.find(letter)
        if index <= position:  # unknown letter, repeated or out of order: not a v2 scope
            return None
        position = index
    return frozenset(text) if text else None


def parse_resource_scope(text: str) -> ResourceScope | None:
    """The scope, or None if it is not a resource scope this server can honour."""
    match = RESOURCE_SCOPE.match(text)
    if not match:
        return None
    context, rtype, raw_permissions, query = match.groups()
    permissions = parse_permissions(raw_permissions)
    if permissions is None or (rtype != "*" and not is_resource_type(rtype)):
        return None
    restrictions: list[Restriction] = []
    if query:
        if rtype == "*":
            return None
        for code, raw in parse_qsl(query, keep_blank_values=True):
            param = search_param(rtype, code)
            if param is None or param.type != "token" or not raw:
                return None
            try:
                system, value = token.parse(code, raw)
            except Exception:  # noqa: BLE001 - a malformed value makes the scope unusable, not an error
                return None
            restrictions.append(Restriction(code, value, system))
    return ResourceScope(context, rtype, permissions, tuple(restrictions), text)


class Scopes:
    """A parsed scope string: resource scopes plus the other (launch, identity, refresh) scopes."""

    def __init__(self, text: str | None) -> None:
        self.text = " ".join((text or "").split())
        self.names = tuple(dict.fromkeys(self.text.split()))
        self.resource = tuple(s for s in (parse_resource_scope(n) for n in self.names) if s is not None)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def __str__(self) -> str:
        return self.text

    @cached_property
    def contexts(self) -> frozenset[str]:
        return frozenset(s.context for s in self.resource)

    def applicable(self, context: str, resource_type: str, permission: str) -> list[ResourceScope]:
        return [s for s in self.resource if s.applies(context, resource_type, permission)]

    def allows(self, context: str, resource_type: str, permission: str) -> bool:
        return bool(self.applicable(context, resource_type, permission))

    def filter(self, context: str, resource_type: str, permission: str) -> dict[str, Any] | None:
        """None: not allowed; {}: allowed for every resource of the type; else the granular filter."""
        applicable = self.applicable(context, resource_type, permission)
        if not applicable:
            return None
        if any(not s.restrictions for s in applicable):
            return {}
        clauses = [s.filter() for s in applicable]
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    def matches(self, context: str, resource_type: str, permission: str, entries: list[dict[str, Any]]) -> bool:
        return any(not s.restrictions or s.matches(entries)
                   for s in self.applicable(context, resource_type, permission))

    def resource_types(self) -> list[str]:
        """The resource types named by the resource scopes, in order (``*`` included)."""
        return list(dict.fromkeys(s.resource_type for s in self.resource))


def is_known(name: str) -> bool:
    return name in OTHER_SCOPES or parse_resource_scope(name) is not None


def narrow(requested: str | None, allowed: str | None) -> str:
    """The requested scopes that ``allowed`` covers (unknown scopes dropped), in request order."""
    allowed_scopes = Scopes(allowed)
    kept: list[str] = []
    for name in Scopes(requested).names:
        if name in OTHER_SCOPES:
            if name in allowed_scopes:
                kept.append(name)
            continue
        scope = parse_resource_scope(name)
        if scope is not None and any(a.covers(scope) for a in allowed_scopes.resource):
            kept.append(name)
    return " ".join(kept)


def without_types(scope: str, removed: set[str], listed: list[str]) -> str:
    """``scope`` minus the resource scopes of the ``removed`` types (the consent screen's unticked boxes).

    A wildcard scope is shown on the consent screen as the ``listed`` types; once the user unticks
    any of them it is replaced by one scope per type still ticked, so that the grant is exactly
    what the user saw.
    """
    if not removed:
        return scope
    out: list[str] = []
    for name in Scopes(scope).names:
        parsed = parse_resource_scope(name)
        if parsed is None:
            out.append(name)
        elif parsed.resource_type == "*":
            letters = "".join(p for p in PERMISSIONS if p in parsed.permissions)
            out.extend(f"{parsed.context}/{t}.{letters}" for t in listed if t not in removed)
        elif parsed.resource_type not in removed:
            out.append(name)
    return " ".join(dict.fromkeys(out))


def read_only(scope: str) -> str:
    """Only the read and search permissions of every resource scope (break-the-glass tokens)."""
    out: list[str] = []
    for name in Scopes(scope).names:
        parsed = parse_resource_scope(name)
        if parsed is None:
            out.append(name)
            continue
        kept = "".join(p for p in PERMISSIONS if p in parsed.permissions and p in "rs")
        if kept:
            query = name.partition("?")[2]
            out.append(f"{parsed.context}/{parsed.resource_type}.{kept}" + (f"?{query}" if query else ""))
    return " ".join(out)
