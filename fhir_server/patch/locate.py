"""Turn a FHIRPath Patch ``path`` into locations in the resource JSON.

FHIRPath Patch (http://hl7.org/fhir/R4/fhirpatch.html) addresses elements with FHIRPath, but an
evaluator returns *values*, and a patch must change the *place* a value came from. fhirpathpy's
internal result nodes (what ``returnRawData`` returns) keep

* the very ``dict`` object of a complex element, which we find again by identity in a map of
  ``id(dict) -> JSON path`` built over the resource before evaluation; and
* for primitives (plain ``str``/``bool``/numbers, where identity means nothing) ``propName``, the
  route fhirpathpy took (``Patient.name[0].given[1]``), which we walk in the JSON, resolving choice
  names (``deceased`` -> ``deceasedBoolean``, http://hl7.org/fhir/R4/formats.html#choice) and
  stepping into ``_x`` when the route continues into a primitive's id or extensions
  (http://hl7.org/fhir/R4/json.html#primitive).

fhirpathpy also yields the ``_x`` object of a primitive (and ``None`` padding of ``_x`` arrays) as
separate nodes; a location names the element, not its JSON halves, so these collapse into the one
location of the primitive and duplicates are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fhirpathpy.engine import do_eval
from fhirpathpy.engine.invocations.constants import constants
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.engine.util import arraify
from fhirpathpy.models import models
from fhirpathpy.parser import parse

from fhir_server.errors import BadRequest, UnprocessableEntity

#: A route in the JSON: object keys and list positions. ``()`` is the resource itself.
JsonPath = tuple[str | int, ...]

_MODEL = models["r4"]
_KEYWORD_MEMBER = re.compile(r"\.\s*(div|mod)\b(?!\s*\()")
_SEGMENT = re.compile(r"^([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\])?$")


def locate(resource: dict[str, Any], path: str) -> list[JsonPath]:
    """Distinct JSON locations of the elements ``path`` selects, in FHIRPath order.

    A location of an element inside a list ends with its position (``("identifier", 1)``); a
    primitive's location never uses the ``_x`` key, even when only its extensions exist.
    """
    nodes = _evaluate(resource, path)
    known = dict(_index(resource))
    found: list[JsonPath] = []
    for node in nodes:
        if not isinstance(node, ResourceNode):
            raise UnprocessableEntity(
                f"FHIRPath Patch path '{path}' gives a computed value, "
                "not an element of the resource"
            )
        if node.data is None:
            continue  # fhirpathpy padding for the null entries of a "_x" array
        where = known.get(id(node.data)) if isinstance(node.data, dict) else None
        if where is None:
            where = _walk(resource, node.propName, path)
        where = _element_location(where)
        if where not in found:
            found.append(where)
    return found


def _evaluate(resource: dict[str, Any], path: str) -> list[Any]:
    """fhirpathpy's nodes for ``path``.

    This is ``fhirpathpy.apply_parsed_path`` (2.2.4) with ``returnRawData`` minus its last step,
    which drops every node whose data is exactly ``{"extension": [...]}``: that would hide a
    primitive that has only extensions (``"_birthDate": {"extension": [data-absent-reason]}``), an
    element FHIRPath does see and a patch must be able to replace or delete.
    """
    if not isinstance(path, str) or not path.strip():
        raise BadRequest("FHIRPath Patch operation has an empty 'path'")
    try:
        parsed = parse(_quote_keywords(path))
        constants.reset()
        root = arraify(resource)
        ctx = {
            "dataRoot": root,
            "vars": {"context": resource, "ucum": "http://unitsofmeasure.org"},
            "model": _MODEL,
            "userInvocationTable": {},
        }
        result = do_eval(ctx, root, parsed["children"][0])
    except Exception as exc:  # fhirpathpy raises bare Exception/IndexError/KeyError on bad input
        raise BadRequest(f"FHIRPath Patch path '{path}' cannot be evaluated: {exc}") from exc
    return list(result) if isinstance(result, list) else [result]


def _quote_keywords(path: str) -> str:
    """``Patient.text.div`` -> ``Patient.text.`div```.

    ``div`` and ``mod`` are FHIRPath operators, so a strict parser (fhirpathpy) reads ``text.div``
    as an unfinished division; the FHIRPath grammar wants such names delimited with backticks
    (http://hl7.org/fhirpath/#identifiers). After a ``.`` only a member name can follow, so quoting
    them there is safe, and the official patch cases use ``Patient.text.div`` unquoted.
    """
    out: list[str] = []
    for n, chunk in enumerate(re.split(r"('(?:[^'\\]|\\.)*'|`[^`]*`)", path)):
        out.append(chunk if n % 2 else _KEYWORD_MEMBER.sub(r".`\1`", chunk))
    return "".join(out)


def _index(value: Any, at: JsonPath = ()) -> Iterator[tuple[int, JsonPath]]:
    """Every ``dict`` of the tree with its location (the tree is alive, so ids are stable)."""
    if isinstance(value, dict):
        yield id(value), at
        for key, child in value.items():
            yield from _index(child, (*at, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _index(child, (*at, i))


def _walk(resource: dict[str, Any], prop_name: str | None, path: str) -> JsonPath:
    """Follow fhirpathpy's ``propName`` (``Patient.contact[0].name.text``) through the JSON."""
    segments = (prop_name or "").split(".")[1:]  # the first segment is the resource type
    if not prop_name or not segments:
        raise UnprocessableEntity(
            f"FHIRPath Patch path '{path}' selects nothing that can be changed"
        )
    current: Any = resource
    out: list[str | int] = []
    for n, segment in enumerate(segments):
        match = _SEGMENT.match(segment)
        if match is None or not isinstance(current, dict):
            raise UnprocessableEntity(
                f"cannot map '{prop_name}' (from path '{path}') to the resource"
            )
        key = json_key_of(current, match.group(1))
        index = int(match.group(2)) if match.group(2) is not None else None
        is_last = n == len(segments) - 1
        if key is None:
            raise UnprocessableEntity(
                f"cannot map '{prop_name}' (from path '{path}') to the resource"
            )
        if not is_last and not isinstance(_item(current.get(key), index), dict):
            key = "_" + key  # the route goes on into the primitive's id/extension
        current = _item(current.get(key), index)
        out.append(key)
        if index is not None:
            out.append(index)
    return tuple(out)


def json_key_of(obj: dict[str, Any], name: str) -> str | None:
    """The JSON key holding element ``name`` in ``obj`` (a choice's key carries its type)."""
    if name in obj or "_" + name in obj:
        return name
    keys = {k.lstrip("_") for k in obj}
    candidates = [
        k for k in keys if k.startswith(name) and len(k) > len(name) and k[len(name)].isupper()
    ]
    return candidates[0] if len(candidates) == 1 else None


def _item(value: Any, index: int | None) -> Any:
    if index is None:
        return value
    if isinstance(value, list) and 0 <= index < len(value):
        return value[index]
    return None


def _element_location(where: JsonPath) -> JsonPath:
    """``("_birthDate",)`` -> ``("birthDate",)``: where the element is, not one JSON half."""
    key_at = len(where) - 2 if where and isinstance(where[-1], int) else len(where) - 1
    if key_at >= 0:
        key = where[key_at]
        if isinstance(key, str) and key.startswith("_"):
            return (*where[:key_at], key[1:], *where[key_at + 1 :])
    return where


def split_location(where: JsonPath) -> tuple[JsonPath, str, int | None]:
    """``(parent, key, index)`` of a non-root location."""
    if not where:
        raise UnprocessableEntity(
            "FHIRPath Patch cannot apply this operation to the resource itself"
        )
    if isinstance(where[-1], int):
        return where[:-2], str(where[-2]), where[-1]
    return where[:-1], str(where[-1]), None


def get_at(resource: Any, where: JsonPath) -> Any:
    """The JSON value at ``where`` (``None`` if absent)."""
    current = resource
    for step in where:
        if isinstance(step, int):
            current = (
                current[step] if isinstance(current, list) and 0 <= step < len(current) else None
            )
        else:
            current = current.get(step) if isinstance(current, dict) else None
        if current is None:
            return None
    return current


def split_last_member(path: str) -> tuple[str, str] | None:
    """``"Patient.contact[0].telecom"`` -> ``("Patient.contact[0]", "telecom")``.

    Used to find the owner of a list that does not exist yet (an ``insert`` at index 0 of an empty
    list). Only a plain trailing ``.name`` outside quotes and brackets is split; anything else
    returns ``None``.
    """
    depth, quote, last_dot = 0, "", -1
    for i, ch in enumerate(path):
        if quote:
            if ch == quote and path[i - 1] != "\\":
                quote = ""
        elif ch in "'`\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "." and depth == 0:
            last_dot = i
    if last_dot <= 0:
        return None
    name = path[last_dot + 1 :].strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name):
        return None
    return path[:last_dot], name
