"""What is out of a token's reach looks absent: not hidden, not counted, not told apart from what does not exist.

Each test states the rule it guards; the fixes live in the access policy (``access.policy``) or the
shared mechanism it relies on (history, totals), not in the interaction.
"""

from __future__ import annotations

from typing import Any

from tests.auth.helpers import LAB, VITALS, observation, same_answer
from tests.auth.test_backend_services import _register, _token, assertion

TOKEN_SCOPE = "system/*.cruds"


def backend_token(smart, scope: str, client_id: str = "review-backend") -> str:
    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-384", private=True, auto_kid=True)
    _register(smart, client_id, key, scope=TOKEN_SCOPE)
    response = _token(smart, assertion(client_id, key, "ES384"), scope=scope)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]  # type: ignore[no-any-return]


def _entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in bundle.get("entry", []) if e.get("search", {}).get("mode", "match") == "match"]


def test_history_of_a_deleted_resource_out_of_reach_looks_absent(smart):
    """Instance history skipped the policy for a deleted resource: 200 (empty Bundle) instead of 404."""
    smart.service.resources.transaction(lambda s: smart.service.resources.delete("Observation", "vit-p2", s))
    token = smart.token("anna")["access_token"]
    same_answer(smart.fhir("GET", "Observation/vit-p2/_history", token),
          smart.fhir("GET", "Observation/nope/_history", token), "vit-p2", "nope")
    assert smart.fhir("GET", "Observation/nope/_history", token).status_code == 404


def test_search_total_counts_only_what_the_token_may_read(smart):
    """search_filter used the 's' scopes and visible() the 'r' scopes: Bundle.total (and _summary=count,
    $everything's total) counted resources the token cannot read."""
    token = smart.token("anna", scope=f"launch/patient patient/Observation.s patient/Observation.r?category={LAB}")
    access = token["access_token"]
    bundle = smart.fhir("GET", "Observation", access).get_json()
    assert bundle["total"] == len(_entries(bundle)) == 1
    assert smart.fhir("GET", "Observation?_summary=count", access).get_json()["total"] == 1
    assert smart.fhir("GET", "Observation?category=" + VITALS.replace("|", "%7C") + "&_summary=count",
                      access).get_json()["total"] == 0


def test_system_history_total_counts_only_readable_types(smart):
    """A backend token's system history reported a total over every type in the server, and paged
    through versions it could not see."""
    access = backend_token(smart, "system/Observation.rs")
    bundle = smart.fhir("GET", "_history?_count=1000", access).get_json()
    assert {e["fullUrl"].split("/")[-2] for e in bundle.get("entry", [])} == {"Observation"}
    assert bundle.get("total", len(bundle["entry"])) == len(bundle["entry"])
    patients = smart.fhir("GET", "Patient/_history?_count=1", access).get_json()
    assert "entry" not in patients and [link["relation"] for link in patients["link"]] == ["self"]


def test_backend_put_does_not_tell_an_out_of_reach_id_from_an_absent_one(smart):
    """A backend token restricted to laboratory Observations got 403 on PUT to an existing vital-signs
    Observation but 201 on PUT to an absent id: an existence oracle over the resources it may not read."""
    access = backend_token(smart, f"system/Observation.cruds?category={LAB}")
    body = observation("x", "p1", LAB, 1.0)
    hidden = smart.fhir("PUT", "Observation/vit-p1", access, {**body, "id": "vit-p1"})
    absent = smart.fhir("PUT", "Observation/nope", access, {**body, "id": "nope"})
    same_answer(hidden, absent, "vit-p1", "nope")
    assert smart.service.resources.current("Observation", "vit-p1")["vid"] == 1
    assert smart.service.resources.current("Observation", "nope") is None


def test_owner_sees_the_deletion_in_their_history_and_others_do_not(smart):
    """A deletion record stays in the compartment of what it deleted: its owner's history shows it,
    and to anyone else it looks absent like the resource did."""
    smart.service.resources.transaction(lambda s: smart.service.resources.delete("Observation", "vit-p1", s))
    owner = smart.token("anna")["access_token"]
    history = smart.fhir("GET", "Observation/vit-p1/_history", owner)
    assert history.status_code == 200
    assert [e["request"]["method"] for e in history.get_json()["entry"]][0] == "DELETE"
    assert smart.fhir("GET", "Observation/vit-p1", owner).status_code == 410
    type_history = smart.fhir("GET", "Observation/_history", owner).get_json()
    assert any(e["request"]["method"] == "DELETE" and e["request"]["url"] == "Observation/vit-p1"
               for e in type_history.get("entry", []))
    other = smart.token("boris")["access_token"]
    assert smart.fhir("GET", "Observation/vit-p1/_history", other).status_code == 404
    assert smart.fhir("GET", "Observation/vit-p1", other).status_code == 404
