"""A compiler for the FHIRPath subset used by SearchParameter expressions, with fhirpathpy behind it.

Search values are extracted at write time from the official expressions
(http://hl7.org/fhir/R4/search.html#table, http://hl7.org/fhirpath/). Evaluating them with fhirpathpy
runs at about a thousand resources per second, too slow for ingest. Almost every R4 expression is
one of a few shapes, which this module turns into plain Python closures over the resource dict:

- dotted paths and ``|`` unions: ``Patient.name.given``;
- choice elements, stored in JSON as ``valueQuantity`` etc.: ``Observation.value as Quantity``,
  ``Condition.onset.as(Age)``, ``.ofType(Quantity)``, or a bare ``Observation.effective``;
- ``x.where(resolve() is Patient)``: "the references in x whose type is Patient";
- simple equality filters: ``.where(system='email')``;
- ``extension('url')`` and ``.extension.where(url='...')``; indexers: ``Bundle.entry[0]``.

Element types and choice elements come from :mod:`.model`. Anything else is evaluated by
fhirpathpy, compiled once per expression (:mod:`.fallback`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .fallback import Extractor, compile_fhirpathpy, fhirpathpy_text
from .model import child_path, is_subtype, model
from .parameters import split_union
from .reference import is_reference_to

__all__ = ["Extractor", "compile_expression", "compile_fast", "compile_fhirpathpy", "fhirpathpy_text"]

Step = Callable[[list[Any]], list[Any]]

_TOKEN = re.compile(r"\s*(?:('(?:[^'\\]|\\.)*')|(\d+)|([A-Za-z_][A-Za-z0-9_]*)|([().\[\]=]))")


class Unsupported(Exception):
    """The expression is outside the subset: fall back to fhirpathpy."""


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise Unsupported(text)
        tokens.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent over one union branch, producing closures while tracking element types."""

    def __init__(self, branch: str, resource_type: str, context: str | None = None) -> None:
        self.tokens = _tokens(branch)
        self.pos = 0
        self.resource_type = resource_type
        self.relative = context is not None  # a composite component, evaluated on an element
        self.context: str | None = context or resource_type
        self.choice: tuple[str, list[str]] | None = None  # pending choice element: (name, types)
        self.steps: list[Step] = []

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise Unsupported(f"expected {expected!r}, got {token!r}")
        self.pos += 1
        return token

    def parse(self) -> list[Step]:
        if self.peek() == "(":
            self.take("(")
            self.path()
            if self.peek() == "as":
                self.take("as")
                self.cast(self.take())
            self.take(")")
            while self.peek() == ".":
                self.take(".")
                self.step()
        else:
            self.path()
        if self.peek() is not None:
            raise Unsupported(f"trailing {self.peek()!r}")
        self.flush_choice()
        return self.steps

    def path(self) -> None:
        if self.relative:
            self.step()
        elif self.take() != self.resource_type:
            raise Unsupported("root is not the resource type")
        while self.peek() == ".":
            self.take(".")
            self.step()

    def step(self) -> None:
        name = self.take()
        if self.peek() == "(":
            self.function(name)
        else:
            self.child(name)
        if self.peek() == "[":
            self.take("[")
            index = int(self.take())
            self.take("]")
            self.flush_choice()
            self.steps.append(_index(index))

    def function(self, name: str) -> None:
        self.take("(")
        if name in ("as", "ofType"):
            self.cast(self.take())
        elif name == "where":
            self.flush_choice()
            self.steps.append(self.condition())
        elif name == "extension":
            url = _literal(self.take())
            self.flush_choice()
            self.steps.append(_where(lambda node: node.get("url") == url, _children("extension")))
            self.context = "Extension"
        elif name == "first":
            self.flush_choice()
            self.steps.append(lambda nodes: nodes[:1])
        else:
            raise Unsupported(f"function {name}")
        self.take(")")

    def child(self, name: str) -> None:
        self.flush_choice()
        if self.context is None:
            raise Unsupported("untyped path")
        path = child_path(self.context, name)
        if path is None:
            raise Unsupported(f"unknown element {self.context}.{name}")
        elements = model()
        if path in elements["choiceTypePaths"]:
            self.choice = (name, elements["choiceTypePaths"][path])
            self.context = None
            return
        element_type = elements["path2Type"].get(path)
        self.context = path if element_type in (None, "BackboneElement", "Element") else element_type
        self.steps.append(_children(name))

    def cast(self, type_name: str) -> None:
        """``as T`` / ``ofType(T)`` on a choice element: read the ``nameT`` keys (T or a subtype)."""
        if self.choice is None:
            raise Unsupported("cast on a non-choice element")
        name, types = self.choice
        wanted = [t for t in types if is_subtype(t, type_name)]
        self.steps.append(_children(*(name + t for t in wanted)))
        self.choice = None
        self.context = type_name

    def flush_choice(self) -> None:
        """A choice element read without a cast yields every ``name[x]`` key, in model order."""
        if self.choice is not None:
            name, types = self.choice
            self.steps.append(_children(*(name + t for t in types)))
            self.choice = None

    def condition(self) -> Step:
        first = self.take()
        if first == "resolve":
            self.take("(")
            self.take(")")
            self.take("is")
            target = self.take()
            return _where(lambda node: is_reference_to(node, target))
        if self.peek() == "=":
            if self.context is None or child_path(self.context, first) in model()["choiceTypePaths"]:
                raise Unsupported("equality on an untyped or choice element")
            self.take("=")
            value = _literal(self.take())
            return _where(lambda node: _single(node.get(first)) == value)
        raise Unsupported("condition")


def _literal(token: str) -> str:
    if not (token.startswith("'") and token.endswith("'")):
        raise Unsupported(f"not a string literal: {token}")
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _single(value: Any) -> Any:
    """FHIRPath ``=`` compares collections: a one-item list compares as its item."""
    if isinstance(value, list):
        return value[0] if len(value) == 1 else None
    return value


def _children(*names: str) -> Step:
    """Step to the named children of every dict node, flattening arrays (FHIRPath navigation)."""

    def step(nodes: list[Any]) -> list[Any]:
        out: list[Any] = []
        for node in nodes:
            if type(node) is dict:
                for name in names:
                    value = node.get(name)
                    if value is None:
                        continue
                    if type(value) is list:
                        out.extend(v for v in value if v is not None)
                    else:
                        out.append(value)
        return out

    step.names = names  # type: ignore[attr-defined]  # lets _chain read the first step directly
    return step


def _index(index: int) -> Step:
    """``[n]``: the n-th item of the whole collection (FHIRPath indexer)."""
    return lambda nodes: nodes[index : index + 1]


def _where(predicate: Callable[[dict[str, Any]], bool], before: Step | None = None) -> Step:
    def step(nodes: list[Any]) -> list[Any]:
        if before is not None:
            nodes = before(nodes)
        return [n for n in nodes if type(n) is dict and predicate(n)]

    return step


def _chain(steps: list[Step]) -> Extractor:
    """Run the steps in turn; most resources lack most elements, so the first lookup is inlined."""
    first: tuple[str, ...] = getattr(steps[0], "names", ()) if steps else ()
    if len(first) != 1:
        return _run(steps)
    name, rest = first[0], steps[1:]

    def run(resource: dict[str, Any]) -> list[Any]:
        value = resource.get(name)
        if value is None:
            return []
        nodes: list[Any] = [v for v in value if v is not None] if type(value) is list else [value]
        for step in rest:
            if not nodes:
                return nodes
            nodes = step(nodes)
        return nodes

    return run


def _run(steps: list[Step]) -> Extractor:
    def run(resource: dict[str, Any]) -> list[Any]:
        nodes: list[Any] = [resource]
        for step in steps:
            if not nodes:
                return nodes
            nodes = step(nodes)
        return nodes

    return run


def compile_fast(expression: str, resource_type: str) -> Extractor | None:
    """Closures for ``expression`` evaluated on a ``resource_type`` resource, None if unsupported."""
    try:
        chains = [_chain(_Parser(b, resource_type).parse()) for b in split_union(expression)]
    except (Unsupported, ValueError):
        return None
    if len(chains) == 1:
        return chains[0]

    def union(resource: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        for chain in chains:
            out.extend(chain(resource))
        return out

    return union


def compile_expression(expression: str, resource_type: str) -> Extractor:
    """The fastest correct evaluator of ``expression`` for resources of ``resource_type``."""
    return compile_fast(expression, resource_type) or compile_fhirpathpy(expression)
