"""The checks of the R4B models that pydantic-core cannot express, as fast closures.

fhir.resources runs these in Python for every element of every resource, rebuilding
their inputs each time (``get_required_fields()``, ``get_one_of_many_fields()``). Here
they are computed once per class and only attached to classes that need them.

They run on the raw JSON object, around the element's own validation, so that a
resource with several problems reports all of them in one answer (the models stop at the
first failing level: a bad ``birthDate`` hides a missing ``Narrative.status``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_core import PydanticCustomError, ValidationError

Check = Callable[[Any, Callable[[Any], Any]], Any]
Required = tuple[tuple[str, str], ...]
Choices = tuple[tuple[str, tuple[str, ...], bool], ...]


def _error(kind: str, message: str, loc: tuple[str, ...], **ctx: Any) -> Any:
    return {"type": PydanticCustomError(kind, message, ctx), "loc": loc, "input": None}


def _again(exc: ValidationError) -> list[Any]:
    """The line errors of ``exc``, in the form ``from_exception_data`` takes back."""
    out = []
    for err in exc.errors(include_url=False):
        kind = err["type"]
        if kind.startswith("fhir_"):
            out.append({"type": PydanticCustomError(kind, err["msg"]), "loc": err["loc"], "input": err["input"]})
        else:
            line = {"type": kind, "loc": err["loc"], "input": err["input"]}
            if "ctx" in err:
                line["ctx"] = err["ctx"]
            out.append(line)
    return out


def _extended(value: Any) -> bool:
    """Whether a ``_x`` sibling stands in for an absent value (it carries extensions)."""
    if isinstance(value, list):
        return any(_extended(v) for v in value)
    return isinstance(value, dict) and bool(value.get("extension"))


def element_check(title: str, required: Required, choices: Choices) -> Check:
    """A wrap validator: required primitives (value or ``_x`` extensions) and choices.

    ``required`` holds ``(alias, "_" + alias or "")`` pairs; ``choices`` holds
    ``(prefix, aliases, required)`` for each ``prefix[x]`` element.
    """

    # An object has a few keys, a choice up to fifty types (Extension.value[x]): look the
    # keys up in the choice, not the other way round.
    groups = tuple((prefix, frozenset(aliases), needed) for prefix, aliases, needed in choices)

    def problems(data: dict[str, Any]) -> list[Any]:
        errors = []
        for alias, ext in required:
            if alias not in data:  # a null is reported by the element's own type check
                if not _extended(data.get(ext)):
                    errors.append(_error("fhir_required", "Missing required element '{name}'", (alias,),
                                         name=alias))
        for prefix, aliases, needed in groups:
            present = [key for key in data if key in aliases]
            if len(present) > 1:
                errors.append(_error("fhir_choice", "Only one of {prefix}[x] may be present, got {names}",
                                     (prefix,), prefix=prefix, names=", ".join(present)))
            elif needed and not present:
                errors.append(_error("fhir_required", "Missing required element '{name}'", (prefix,),
                                     name=prefix + "[x]"))
        return errors

    def check(data: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            result = handler(data)
        except ValidationError as exc:
            extra = problems(data) if isinstance(data, dict) else []
            if not extra:
                raise
            raise ValidationError.from_exception_data(title, _again(exc) + extra) from None
        extra = problems(data)
        if extra:
            raise ValidationError.from_exception_data(title, extra)
        return result

    return check


def primitive_extension(data: Any) -> Any:
    """``_x`` siblings of primitives need an id or extensions.

    The R4B check, minus its crash on non-objects and its ``fhir_comments`` escape.
    """
    if isinstance(data, dict) and data.get("id") is None and data.get("extension") is None:
        raise PydanticCustomError("fhir_empty", "An element needs an id or extensions")
    return data
