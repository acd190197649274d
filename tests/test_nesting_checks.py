"""The two walks over every write: the body's nesting (content) and what MongoDB can store (resource_body).

Both look at exact ``dict``/``list``/``str`` types first, for speed; subclasses (a resource built in
Python rather than parsed) must be checked all the same.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest

from fhir_server.errors import InvalidResource
from fhir_server.validation.resource_body import INT64, MAX_DEPTH, validated
from fhir_server.web.content import MAX_BODY_DEPTH, nests_deeper


def _nested(depth: int, leaf: Any = "x", mapping: type = dict) -> Any:
    """``depth`` levels of objects and arrays, alternating, around ``leaf``."""
    value: Any = leaf
    for level in range(depth):
        value = mapping(a=value) if level % 2 == 0 else [value]
    return value


@pytest.mark.parametrize("mapping", [dict, OrderedDict])
def test_body_depth_limit(mapping: type) -> None:
    assert not nests_deeper(_nested(MAX_BODY_DEPTH, mapping=mapping), MAX_BODY_DEPTH)
    assert nests_deeper(_nested(MAX_BODY_DEPTH + 1, mapping=mapping), MAX_BODY_DEPTH)
    assert nests_deeper(_nested(50_000), MAX_BODY_DEPTH)  # no recursion error, however deep
    assert not nests_deeper("scalar", 0) and not nests_deeper(7, 0)
    assert nests_deeper([], 0) and not nests_deeper([], 1)


def _basic(extension: Any) -> dict[str, Any]:
    return {"resourceType": "Basic", "code": {"text": "x"}, "extension": [extension]}


def _extension(depth: int, value: Any = "v", mapping: type = dict) -> Any:
    """An extension ``depth`` objects deep, the innermost with ``valueDecimal``/``valueString``."""
    key = "valueDecimal" if isinstance(value, int) else "valueString"
    node: Any = mapping(url="http://x", **{key: value})
    for _ in range(depth - 1):
        node = mapping(url="http://x", extension=[node])
    return node


@pytest.mark.parametrize("mapping", [dict, OrderedDict])
def test_resource_depth_limit(mapping: type) -> None:
    # Basic (1) > extension array (2) > extension object (3) > ... each level an object and an array
    validated(_basic(_extension((MAX_DEPTH - 1) // 2, mapping=mapping)))
    with pytest.raises(InvalidResource, match="levels deep"):
        validated(_basic(_extension(MAX_DEPTH // 2 + 1, mapping=mapping)))


@pytest.mark.parametrize("number", [INT64[1] + 1, INT64[0] - 1, 18446744073709551615])
def test_integers_beyond_64_bits_are_refused_at_any_depth(number: int) -> None:
    with pytest.raises(InvalidResource, match="too large"):
        validated(_basic(_extension(10, number)))
    with pytest.raises(InvalidResource, match="too large"):
        validated(_basic(_extension(1, number, mapping=OrderedDict)))


class _SubList(list):  # type: ignore[type-arg]
    pass


def test_list_subclasses_are_walked() -> None:
    deep: Any = _extension(MAX_DEPTH)
    with pytest.raises(InvalidResource, match="levels deep"):
        validated({**_basic(deep), "extension": _SubList([deep])})
    with pytest.raises(InvalidResource, match="too large"):
        validated({**_basic(deep), "extension": _SubList([_extension(2, INT64[1] + 1)])})


def test_in_range_values_pass() -> None:
    assert validated(_basic(_extension(3, INT64[1])))["resourceType"] == "Basic"
