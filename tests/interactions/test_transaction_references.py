"""rewrite_references: bundle-local and conditional references to ``Type/id`` (http.html#trules).

The rewrite copies only the objects and arrays on the way to a changed value and shares the rest
with the input; its results are checked against a plain whole-copy rewrite of the serialised JSON
(the former implementation) over every Synthea bundle.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from fhir_server.errors import BadRequest, InvalidResource
from fhir_server.interactions.transaction.references import rewrite_references
from fhir_server.validation.resource_body import MAX_DEPTH
from tests.conftest import SYNTHEA_DEV, SYNTHEA_EVAL

_REFERENCE = re.compile(rb'"reference":"((?:[^"\\]|\\.)*)"')
_URN = re.compile(rb'"(urn:uuid:[^"\\]*)"')


def _oracle(resource: dict[str, Any], ids: dict[str, str], conditional: Callable[[str], str]) -> dict[str, Any]:
    """Every ``"reference":"..."`` resolved, then every string that is a known ``urn:uuid:``."""
    def reference(match: re.Match[bytes]) -> bytes:
        value = json.loads(b'"' + match.group(1) + b'"')
        if value in ids:
            value = ids[value]
        elif "?" in value and value.split("?", 1)[0][:1].isupper():
            value = conditional(value)
        return b'"reference":' + orjson.dumps(value)

    def other(match: re.Match[bytes]) -> bytes:
        target = ids.get(match.group(1).decode())
        return orjson.dumps(target) if target else match.group(0)

    return orjson.loads(_URN.sub(other, _REFERENCE.sub(reference, orjson.dumps(resource))))


def _conditional(reference: str) -> str:
    return f"{reference.split('?')[0]}/matched"


def _bundles() -> list[Path]:
    return sorted(Path(SYNTHEA_DEV).glob("*.json")) + sorted(Path(SYNTHEA_EVAL).glob("*.json"))[:10]


@pytest.mark.parametrize("path", _bundles(), ids=lambda p: p.stem[:30])
def test_rewrite_equals_a_whole_copy_rewrite(path: Path) -> None:
    bundle = orjson.loads(path.read_bytes())
    ids = {e["fullUrl"]: f"{e['resource']['resourceType']}/new-{n}" for n, e in enumerate(bundle["entry"])}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        original = copy.deepcopy(resource)
        rewritten = rewrite_references(resource, ids, _conditional)
        assert orjson.dumps(rewritten) == orjson.dumps(_oracle(original, ids, _conditional))
        assert resource == original  # the input is left unchanged


ENCOUNTER = {
    "resourceType": "Encounter",
    "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "185349003"}]}],
    "subject": {"reference": "urn:uuid:p"},
    "participant": [{"individual": {"reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1"}},
                    {"individual": {"reference": "Practitioner/kept"}}],
    "serviceProvider": {"reference": "http://example.org/Organization/o"},
    "text": {"status": "generated", "div": "<div>urn:uuid:p</div>"},
    "extension": [{"url": "http://x", "valueUri": "urn:uuid:p"}, {"url": "http://y", "valueUri": "urn:uuid:other"}],
}
IDS = {"urn:uuid:p": "Patient/1", "http://example.org/Organization/o": "Organization/2"}


def test_rewrites_references_and_entry_urns_only() -> None:
    rewritten = rewrite_references(ENCOUNTER, IDS, _conditional)
    assert rewritten == _oracle(ENCOUNTER, IDS, _conditional)
    assert rewritten["subject"] == {"reference": "Patient/1"}
    assert rewritten["participant"][0]["individual"] == {"reference": "Practitioner/matched"}
    assert rewritten["participant"][1]["individual"] == {"reference": "Practitioner/kept"}
    assert rewritten["serviceProvider"] == {"reference": "Organization/2"}
    assert rewritten["text"]["div"] == "<div>urn:uuid:p</div>"  # not a whole string
    assert [e["valueUri"] for e in rewritten["extension"]] == ["Patient/1", "urn:uuid:other"]


def test_only_the_way_to_a_change_is_copied() -> None:
    original = copy.deepcopy(ENCOUNTER)
    rewritten = rewrite_references(ENCOUNTER, IDS, _conditional)
    assert ENCOUNTER == original
    assert rewritten is not ENCOUNTER and rewritten["subject"] is not ENCOUNTER["subject"]
    assert rewritten["participant"][1] is ENCOUNTER["participant"][1]  # unchanged: shared
    assert rewritten["type"] is ENCOUNTER["type"] and rewritten["class"] is ENCOUNTER["class"]
    assert rewritten["extension"][1] is ENCOUNTER["extension"][1]
    unchanged = {"resourceType": "Patient", "link": [{"other": {"reference": "Patient/x"}}]}
    assert rewrite_references(unchanged, IDS, _conditional) is unchanged


def test_unknown_bundle_urn_fails() -> None:
    with pytest.raises(BadRequest, match="names no entry"):
        rewrite_references({"resourceType": "Observation", "subject": {"reference": "urn:uuid:nope"}}, IDS, _conditional)


def test_nesting_is_bounded() -> None:
    def nested(depth: int) -> dict[str, Any]:
        resource: dict[str, Any] = {"resourceType": "Basic"}
        node = resource
        for _ in range(depth - 1):
            node["extension"] = [{"url": "http://x"}]
            node = node["extension"][0]
        return resource

    assert rewrite_references(nested(MAX_DEPTH // 2), IDS, _conditional)  # depth counts objects and arrays
    with pytest.raises(InvalidResource, match="levels deep"):
        rewrite_references(nested(5000), IDS, _conditional)
