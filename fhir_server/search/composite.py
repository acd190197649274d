"""Composite search parameters (http://hl7.org/fhir/R4/search.html#composite).

A composite such as ``code-value-quantity`` matches when its components match *in the same
element* (the same Observation, or the same ``Observation.component``). We evaluate the base
expression (``Observation.component``) at write time, then each component's expression relative
to every element, and store one entry per combination. The values of the leading components
(token, string, reference or uri) become part of the entry's parameter name; the last
component is stored as an ordinary entry of its own type, in ``i`` or ``r``::

    code-value-quantity = http://loinc.org|8480-6 $ 120 mm[Hg]
    -> {p: "code-value-quantity$http://loinc.org|8480-6", lo: 120, hi: 120, s: UCUM, c: "mm[Hg]"}
       {p: "code-value-quantity$8480-6", ...}                 (the same, for a code without system)

A token key is ``system|code`` (``|code`` when the coding has no system) and also the bare
``code``, so the three token forms ``code``, ``system|code`` and ``|code`` are exact index
bounds; ``system|`` (any code) is not available inside a composite. The search value is split on
``$``; the last part is compiled by its type's builder with ``p`` set to the composed name,
so ``code-value-quantity=http://loinc.org|8480-6$gt100`` is one bounded scan of ``type_range``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from typing import Any

from ..errors import BadRequest
from . import reference, string, token
from .fhirpath import Extractor, Unsupported, _Parser, _run, compile_expression
from .parameters import Component, SearchParam, definition_by_url, split_union
from .syntax import QueryOptions, split_escaped, unescape
from .types import register, value_type

SEPARATOR = "$"


def element_type(branch: str, resource_type: str) -> str | None:
    """The model path or type the nodes selected by ``branch`` have (``Observation.component``)."""
    parser = _Parser(branch, resource_type)
    try:
        parser.parse()
    except (Unsupported, ValueError):
        return None
    return parser.context


def compile_relative(expression: str, resource_type: str, context: str) -> Extractor | None:
    """Closures for an expression evaluated on an element of type ``context`` (composite
    components, http://hl7.org/fhir/R4/search.html#composite); None if outside the subset."""
    try:
        chains = [_run(_Parser(b, resource_type, context).parse()) for b in split_union(expression)]
    except (Unsupported, ValueError):
        return None

    def union(element: dict[str, Any]) -> list[Any]:
        return [value for chain in chains for value in chain(element)]

    return union


def _keys(kind: str, entries: list[dict[str, Any]]) -> list[str]:
    """The key strings one component's entries give (see module docstring)."""
    keys: list[str] = []
    for entry in entries:
        if "v" not in entry or ":" in entry["p"]:
            continue
        if kind == "token":
            keys += [f"{entry.get('s', '')}|{entry['v']}", entry["v"]]
        else:
            keys.append(entry["v"])
    return list(dict.fromkeys(keys))


def _component_extractors(param: SearchParam, resource_type: str, branch: str) -> list[Callable] | None:
    context = element_type(branch, resource_type)
    if context is None:
        return None
    found = [compile_relative(c.expression, resource_type, context) for c in param.components]
    return None if any(f is None for f in found) else found  # type: ignore[return-value]  # None was ruled out just before


#: Component values already normalised during one extraction, by (element id, role, type,
#: expression). The composites of a type share components (the eight Observation composites all
#: read ``code`` and ``value``): each element's components are then normalised once per resource,
#: not once per composite. Each value keeps its element alive, so no other object can take that
#: element's ``id()`` while the memo exists (fhirpathpy may build elements afresh on each call).
Memo = dict[tuple[int, str, str, str], tuple[Any, list[Any]]]

Entries = Callable[[dict[str, Any], Memo], list[dict[str, Any]]]


@dataclass(frozen=True)
class _Part:
    """One component as evaluated on an element: its type, expression and compiled extractor."""

    kind: str
    expression: str
    extract: Callable[[Any], list[Any]]

    def entries(self, element: dict[str, Any], memo: Memo) -> list[dict[str, Any]]:
        """The component's normalised entries on ``element`` (shared: callers must not modify them)."""
        key = (id(element), "entries", self.kind, self.expression)
        found = memo.get(key)
        if found is None:
            found = memo[key] = (element, value_type(self.kind).normalise("_", self.extract(element)))
        return found[1]

    def keys(self, element: dict[str, Any], memo: Memo) -> list[str]:
        """The key strings of a leading component on ``element`` (see module docstring)."""
        key = (id(element), "keys", self.kind, self.expression)
        found = memo.get(key)
        if found is None:
            found = memo[key] = (element, _keys(self.kind, self.entries(element, memo)))
        return found[1]


def normaliser(param: SearchParam, resource_type: str) -> Entries | None:
    """A function from one resource (and the extraction's memo) to the composite's entries;
    None if it cannot be indexed."""
    branches = []
    for branch in split_union(param.expression):
        extractors = _component_extractors(param, resource_type, branch)
        if extractors is None:
            return None
        parts = [_Part(c.type, c.expression, f) for c, f in zip(param.components, extractors, strict=True)]
        branches.append((compile_expression(branch, resource_type), parts))

    def entries(resource: dict[str, Any], memo: Memo) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for select, parts in branches:
            for element in select(resource):
                if isinstance(element, dict):
                    out += _element_entries(param.code, parts, element, memo)
        return out

    return entries


def _element_entries(code: str, parts: list[_Part], element: dict[str, Any], memo: Memo) -> list[dict[str, Any]]:
    *leading, last = parts
    # The last component first: most elements lack the value of most composites (an Observation
    # has one value[x]), and without it there is no entry whatever the keys.
    lasts = [entry for entry in last.entries(element, memo) if ":" not in entry["p"]]
    if not lasts:
        return []
    key_lists = []
    for part in leading:
        keys = part.keys(element, memo)
        if not keys:
            return []
        key_lists.append(keys)
    return [
        {**entry, "p": SEPARATOR.join([code, *combo])}
        for combo in product(*key_lists)
        for entry in lasts
    ]


def last_type(param: SearchParam) -> str:
    return param.components[-1].type


def _key(component: Component, code: str, raw: str, options: QueryOptions) -> str:
    text = unescape(raw)
    if component.type == "token":
        system, value = token.parse(code, raw)
        if value is None:
            raise BadRequest(f"Search parameter {code!r}: 'system|' (any code) is not available in a composite")
        return value if system is None else f"{system}|{value}"
    if component.type == "string":
        return string.fold(text)
    if component.type == "reference":
        return reference.literal(reference.localise(text, options.base_url))
    return text


def _component_param(param: SearchParam, component: Component) -> SearchParam:
    official = definition_by_url(component.definition) or {}
    return SearchParam(code=param.code, type=component.type, expression="",
                       targets=tuple(official.get("target", ())))


def conditions(param: SearchParam, raw: str, options: QueryOptions, modifier: str = "") -> list[dict[str, Any]]:
    """The ``$elemMatch`` alternatives of one composite value ``a$b`` (each with its own ``p``)."""
    if modifier:
        raise BadRequest(f"Search parameter {param.code!r}: unknown modifier ':{modifier}' for a composite")
    parts = split_escaped(raw, SEPARATOR)
    if len(parts) != len(param.components):
        raise BadRequest(f"Search parameter {param.code!r} expects {len(param.components)} values "
                         f"separated by '$', got {raw!r}")
    keys = [_key(c, param.code, p, options) for c, p in zip(param.components[:-1], parts, strict=False)]
    name = SEPARATOR.join([param.code, *keys])
    last = param.components[-1]
    alternatives = value_type(last.type).conditions(_component_param(param, last), parts[-1], options)
    return [{**alt, "p": name} for alt in alternatives]


register("composite", conditions)
