"""Turn pydantic-core and jsonschema errors into OperationOutcome issues.

Each issue gets a FHIRPath-like ``expression`` (``Patient.name[0].given``) and a message
written for the client, without pydantic's vocabulary ("Input should be...", "Value
error, ...") or its internal names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fhir_server.errors import Issue

from .datetimes import DESCRIPTIONS

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "a number", float: "a number", type(None): "null"}
_EXPECTED = {
    "string_type": "a string", "list_type": "an array", "dict_type": "an object",
    "model_type": "an object", "model_fields_type": "an object", "bool_type": "a boolean (true or false)",
    "int_type": "an integer", "float_type": "a number", "literal_error": "a code",
}
_NOISE = ("Value error, ", "Assertion failed, ")


def json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def fhirpath(base: str, loc: Iterable[Any], keep_last: bool = False) -> str:
    """``("name", 0, "_given", 1)`` under ``Patient`` -> ``Patient.name[0].given[1]``.

    A leading underscore (the JSON sibling carrying a primitive's extensions) is dropped:
    in FHIRPath the extensions of ``given`` are ``given.extension``. ``keep_last`` keeps
    the raw name of an unknown property, which has no FHIRPath meaning.
    """
    parts = [base]
    items = list(loc)
    for i, step in enumerate(items):
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            name = str(step)
            if not (keep_last and i == len(items) - 1):
                name = name.lstrip("_") or name
            parts.append("." + name)
    return "".join(parts)


def _shown(value: Any) -> str:
    """A value as the client sent it (short), or its JSON type for objects and arrays."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    text = repr(value) if not isinstance(value, (dict, list)) else json_type(value)
    return text if len(text) <= 80 else text[:77] + "..."


def from_pydantic(base: str, errors: Sequence[Mapping[str, Any]]) -> list[Issue]:
    """Issues for ``ValidationError.errors()`` of a resource located at ``base``."""
    issues = []
    for err in errors:
        kind, loc, value = err["type"], err["loc"], err.get("input")
        ctx = err.get("ctx") or {}
        if kind == "extra_forbidden":
            where = fhirpath(base, loc, keep_last=True)
            issues.append(Issue("structure", f"Unknown element '{loc[-1]}'", expression=[where]))
            continue
        where = fhirpath(base, loc)
        if kind in ("missing", "fhir_required"):
            name = ctx.get("name") or loc[-1]
            issues.append(Issue("required", f"Missing required element '{name}'", expression=[where]))
        elif kind == "literal_error" and isinstance(value, str):
            issues.append(Issue("code-invalid", f"Code {_shown(value)} is not in the required value set "
                                f"(expected {ctx.get('expected', '')})", expression=[where]))
        elif kind in _EXPECTED:
            got = "null" if value is None else json_type(value)
            issues.append(Issue("structure", f"Expected {_EXPECTED[kind]}, got {got}", expression=[where]))
        elif kind == "string_pattern_mismatch":
            issues.append(Issue("value", f"Invalid value {_shown(value)}: {_pattern(ctx.get('pattern'))}",
                                expression=[where]))
        elif kind == "too_short" and isinstance(value, list):
            issues.append(Issue("structure", "Arrays must not be empty", expression=[where]))
        elif kind in ("recursion_loop", "recursion_depth_exceeded"):
            issues.append(Issue("structure", "The resource is nested too deeply to validate", expression=[base]))
        elif kind.startswith("fhir_"):
            issues.append(Issue("structure" if kind != "fhir_choice" else "invalid", err["msg"],
                                expression=[where]))
        else:
            msg = str(err.get("msg", kind))
            for noise in _NOISE:
                msg = msg.removeprefix(noise)
            msg = msg.replace("Input should be", "must be").replace("String should", "must")
            issues.append(Issue("value", f"Invalid value {_shown(value)}: {msg}", expression=[where]))
    return issues


def from_jsonschema(base: str, errors: Iterable[Any]) -> list[Issue]:
    """Issues for ``jsonschema`` errors (the R4 types the R4B models lack)."""
    issues = []
    for err in errors:
        path = list(err.absolute_path)
        kind = err.validator
        if kind == "additionalProperties":
            allowed = set(err.schema.get("properties", {}))
            for name in sorted(k for k in err.instance if k not in allowed):
                issues.append(Issue("structure", f"Unknown element '{name}'",
                                    expression=[fhirpath(base, [*path, name], keep_last=True)]))
        elif kind == "required":
            name = err.message.split("'")[1]
            issues.append(Issue("required", f"Missing required element '{name}'",
                                expression=[fhirpath(base, [*path, name])]))
        elif kind == "enum":
            codes = ", ".join(repr(c) for c in err.validator_value)
            issues.append(Issue("code-invalid", f"Code {_shown(err.instance)} is not in the required value set "
                                f"(expected {codes})", expression=[fhirpath(base, path)]))
        elif kind == "type":
            issues.append(Issue("structure", f"Expected {_jsonschema_type(err.validator_value)}, got "
                                f"{json_type(err.instance)}", expression=[fhirpath(base, path)]))
        elif kind == "pattern":
            issues.append(Issue("value", f"Invalid value {_shown(err.instance)}: {_pattern(err.validator_value)}",
                                expression=[fhirpath(base, path)]))
        else:
            issues.append(Issue("value", f"Invalid value {_shown(err.instance)}: {err.message}",
                                expression=[fhirpath(base, path)]))
    return issues


def _pattern(pattern: Any) -> str:
    known = DESCRIPTIONS.get(pattern)
    return f"expected {known}" if known else f"it does not match the pattern {pattern}"


def _jsonschema_type(name: Any) -> str:
    return {"object": "an object", "array": "an array", "string": "a string", "boolean": "a boolean",
            "number": "a number", "integer": "an integer"}.get(str(name), str(name))
