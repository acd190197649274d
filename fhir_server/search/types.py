"""The search parameter types (http://hl7.org/fhir/R4/search.html#ptypes) and what each one brings.

Each type lives in a module named after it, which registers itself at import with :func:`register`:
its query builder (search time: the MongoDB conditions of one search value and its modifiers) and,
for the types whose values are indexed one by one, its normaliser (write time: the index entries of
the values an expression found) and its sort key. A composite is extracted whole from the resource
(:mod:`.composite`), so it registers a builder only. Extraction, compilation and the components of
composites look types up here; the package (``search/__init__``) imports every module of :data:`MODULES`
before anything can look a type up, so the table is full.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .parameters import SearchParam
    from .syntax import QueryOptions

Normaliser = Callable[[str, list[Any]], list[dict[str, Any]]]
SortKey = Callable[[list[dict[str, Any]]], Any]


class Builder(Protocol):
    def __call__(self, param: SearchParam, raw: str, options: QueryOptions,
                 modifier: str = "") -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class ParameterType:
    """A search parameter type: how a search value becomes MongoDB conditions."""

    name: str
    conditions: Builder


@dataclass(frozen=True)
class ValueType(ParameterType):
    """A type whose values are indexed one by one: also how they are normalised and sorted."""

    normalise: Normaliser
    sort_key: SortKey


_TYPES: dict[str, ParameterType] = {}


def register(name: str, conditions: Builder, normalise: Normaliser | None = None,
             sort_key: SortKey | None = None) -> None:
    """Called by each type's module: ``normalise`` and ``sort_key`` go together."""
    if normalise is None or sort_key is None:
        _TYPES[name] = ParameterType(name, conditions)
    else:
        _TYPES[name] = ValueType(name, conditions, normalise, sort_key)


def parameter_type(name: str) -> ParameterType | None:
    """The type called ``name``; None if the server does not support it (special, ...)."""
    return _TYPES.get(name)


def value_type(name: str) -> ValueType:
    """The type called ``name``, one whose values are indexed one by one; KeyError otherwise."""
    found = _TYPES.get(name)
    if not isinstance(found, ValueType):
        raise KeyError(name)
    return found


#: The modules of the supported types; the package imports them so that each registers itself.
MODULES = ("token", "string", "reference", "date", "number", "quantity", "uri", "composite")
