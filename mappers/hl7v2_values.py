"""HL7 v2 data types as FHIR datatypes: CE/CWE codes, OBX-5 values, OBX-7 reference ranges.

HL7 v2.5 chapter 2A defines the types (CE 2.A.8, CWE 2.A.13, NM 2.A.47, SN 2.A.72, ST, TX, FT);
the FHIR side follows the V2-to-FHIR data type maps (CWE -> CodeableConcept, NM/SN -> Quantity,
Range or Ratio). Units go to UCUM (http://unitsofmeasure.org) when OBX-6 names UCUM or the unit is
one Russian laboratories commonly write (:data:`mappers.terminology.UCUM_UNITS`); otherwise the
unit text is kept without a code.
"""

from __future__ import annotations

import re
from typing import Any

from . import terminology as t
from .hl7v2_reader import Segment

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
COMPARATORS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": None, "": None}
_RANGE_NUMBER = r"([+-]?\d+(?:[.,]\d+)?)"
RANGE_BOTH = re.compile(rf"{_RANGE_NUMBER}\s*[-–—]\s*{_RANGE_NUMBER}")
RANGE_HIGH = re.compile(rf"(?:<=?|≤|до)\s*{_RANGE_NUMBER}", re.IGNORECASE)
RANGE_LOW = re.compile(rf"(?:>=?|≥|от|более)\s*{_RANGE_NUMBER}", re.IGNORECASE)


def coded(segment: Segment, field: int, repetition: int = 1) -> dict[str, Any]:
    """A CE/CWE field as a CodeableConcept: codings for the coding systems FHIR names, the text.

    Local codes (table 0396 ``L``, ``99zzz``) keep only their text: the EMC has no code system for
    each laboratory's catalogue.
    """
    codings = []
    for code_at, system_at in ((1, 3), (4, 6)):
        code = segment.get(field, code_at, repetition)
        system = t.V2_CODING_SYSTEMS.get(segment.get(field, system_at, repetition).upper())
        if code and system:
            codings.append(t.coding(system, code))
    text = segment.get(field, 2, repetition) or segment.get(field, 5, repetition) or segment.get(field, 1, repetition)
    if not text:
        raise segment.error(field, "no code and no text")
    out: dict[str, Any] = {"coding": codings} if codings else {}
    out["text"] = text
    return out


def number(segment: Segment, field: int, text: str) -> int | float:
    """An NM value as a JSON number; anything else is an error naming the field."""
    if not NUMBER.fullmatch(text):
        raise segment.error(field, f'"{text}" is not a number')
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def unit(obx: Segment) -> dict[str, str]:
    """The unit part of a Quantity from OBX-6 (empty when OBX-6 is)."""
    identifier, text, system = obx.get(6, 1), obx.get(6, 2), obx.get(6, 3).upper()
    shown = text or identifier
    if not shown:
        return {}
    code = identifier if system == "UCUM" and identifier else t.ucum(identifier) or (t.ucum(text) if text else None)
    return {"unit": shown, "system": t.UCUM, "code": code} if code else {"unit": shown}


def observation_value(obx: Segment) -> dict[str, Any]:
    """``{"value[x]": ...}`` for OBX-5 by the value type in OBX-2 (empty for an empty OBX-5)."""
    kind = obx.get(2).upper()
    count = obx.repetitions(5)
    if count == 0:
        return {}
    if not kind:
        raise obx.error(2, "no value type for the value in OBX-5")
    if kind in ("ST", "TX", "FT"):
        return {"valueString": "\n".join(obx.get(5, 1, rep) for rep in range(1, count + 1))}
    if count > 1:
        raise obx.error(5, f"a {kind} value cannot repeat ({count} repetitions); send one OBX per value")
    if kind == "NM":
        return {"valueQuantity": {"value": number(obx, 5, obx.get(5)), **unit(obx)}}
    if kind in ("CE", "CWE"):
        return {"valueCodeableConcept": coded(obx, 5)}
    if kind == "SN":
        return _structured_numeric(obx)
    raise obx.error(2, f"value type {kind!r} is not supported (NM, SN, ST, TX, FT, CE, CWE)")


def _structured_numeric(obx: Segment) -> dict[str, Any]:
    """SN ``comparator^num1^separator^num2``: a Quantity, a Range (``-``) or a Ratio (``:``, ``/``)."""
    comparator, first, separator, second = (obx.get(5, c) for c in (1, 2, 3, 4))
    if comparator not in COMPARATORS:
        raise obx.error(5, f"{comparator!r} is not an SN comparator")
    quantity: dict[str, Any] = {"value": number(obx, 5, first), **unit(obx)}
    if not separator:
        if COMPARATORS[comparator]:
            quantity = {"value": quantity["value"], "comparator": COMPARATORS[comparator], **unit(obx)}
        return {"valueQuantity": quantity}
    other = {"value": number(obx, 5, second), **unit(obx)}
    if separator == "-":
        return {"valueRange": {"low": quantity, "high": other}}
    if separator in (":", "/"):
        return {"valueRatio": {"numerator": {"value": quantity["value"]}, "denominator": {"value": other["value"]}}}
    raise obx.error(5, f"{separator!r} is not an SN separator")


def reference_range(obx: Segment) -> dict[str, Any]:
    """OBX-7 as a referenceRange: ``low-high``, ``<high``, ``>low`` parsed, the text always kept."""
    text = obx.get(7)
    out: dict[str, Any] = {}
    both, high, low = RANGE_BOTH.fullmatch(text), RANGE_HIGH.fullmatch(text), RANGE_LOW.fullmatch(text)
    if both:
        out = {"low": _bound(obx, both.group(1)), "high": _bound(obx, both.group(2))}
    elif high:
        out = {"high": _bound(obx, high.group(1))}
    elif low:
        out = {"low": _bound(obx, low.group(1))}
    out["text"] = text
    return out


def _bound(obx: Segment, text: str) -> dict[str, Any]:
    return {"value": number(obx, 7, text.replace(",", ".")), **unit(obx)}
