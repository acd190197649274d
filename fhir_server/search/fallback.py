"""fhirpathpy evaluation of the expressions the compiler does not cover (and the test reference).

fhirpathpy lacks ``resolve()`` and rejects ``as`` on collections, which the R4 expressions use (R5
rewrote them with ``ofType``): :func:`fhirpathpy_text` rewrites ``x.where(resolve() is T)`` into a
call of our ``isReferenceTo('T')`` function (the same test the compiled closures apply), and
``as T`` / ``.as(T)`` into ``.ofType(T)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .model import model
from .reference import is_reference_to

Extractor = Callable[[dict[str, Any]], list[Any]]


_RESOLVE_IS = re.compile(r"resolve\(\)\s+is\s+([A-Za-z]+)")
_INFIX_AS = re.compile(r"\s+as\s+([A-Za-z]+)\s*\)")


def fhirpathpy_text(expression: str) -> str:
    """Rewrite the official expression into one fhirpathpy accepts (see module docstring)."""
    text = _RESOLVE_IS.sub(r"isReferenceTo('\1')", expression)
    text = _INFIX_AS.sub(r".ofType(\1))", text)
    return text.replace(".as(", ".ofType(")


def _is_reference_to_fn(inputs: list[Any], type_name: str) -> list[bool]:
    return [isinstance(node, dict) and is_reference_to(node, type_name) for node in inputs]


_OPTIONS = {"userInvocationTable": {"isReferenceTo": {"fn": _is_reference_to_fn, "arity": {1: ["String"]}}}}


def _plain(value: Any) -> Any:
    """fhirpathpy yields Decimal and its own date types; index normalisers expect JSON values."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dict, list, str, int, float, bool)) or value is None:
        return value
    return str(value)


def compile_fhirpathpy(expression: str) -> Extractor:
    """fhirpathpy evaluation of ``expression``, parsed once; values returned as plain JSON values."""
    import fhirpathpy

    compiled = fhirpathpy.compile(fhirpathpy_text(expression), model(), _OPTIONS)

    def run(resource: dict[str, Any]) -> list[Any]:
        return [_plain(v) for v in compiled(resource, None) if v is not None]

    return run
