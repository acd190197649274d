"""The audit trail: an AuditEvent for every request that returned or changed patient data.

After a request made with a token, the policy's access log says which patients' resources it let
through or wrote; one AuditEvent per patient records who (the user's FHIR identity and user
name), with which client, which patient and which resources, what (the RESTful interaction and
its action code), why (purpose of use: ``BTG``/``ETREAT`` with the declared reason for
break-the-glass) and the outcome. One event per patient, never several patients in one, so that
each event belongs to exactly one compartment: a patient searching ``AuditEvent`` with their own
token sees who opened their card, and nobody else's trail.

Events are stored like any resource (versioned, indexed), written by the server only: no token may
write AuditEvents (``access.policy``). Reading the audit trail is not itself audited.
See http://hl7.org/fhir/R4/auditevent.html.
"""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fhir_server.access.policy import TokenPolicy
from fhir_server.rest import Context, FhirRequest, FhirResponse
from fhir_server.storage.store import new_id

log = logging.getLogger(__name__)
MAX_ENTITIES = 50
ACTIONS = {"GET": "R", "HEAD": "R", "POST": "C", "PUT": "U", "PATCH": "U", "DELETE": "D"}
ROLE_CODES = {"patient": "PAT", "guardian": "GUARD", "clinician": "PROV", "ambulance": "PROV"}


def interaction(req: FhirRequest) -> tuple[str, str]:
    """(restful-interaction code, AuditEvent.action) of a request."""
    path, method = req.path, req.method.upper()
    if method == "POST" and not path:
        return "transaction", "E"
    if "_history" in path:
        return ("vread", "R") if len(path) == 4 else ("history-instance" if len(path) == 3 else "history-type", "R")
    if path and path[-1].startswith("$"):
        return "operation", "E"
    if method == "GET" and len(path) == 1 or path[-1:] == ["_search"]:
        return "search-type", "E"
    return {"GET": "read", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
        method, "read"), ACTIONS.get(method, "R")


def events(ctx: Context, req: FhirRequest, result: FhirResponse) -> list[dict[str, Any]]:
    policy = ctx.policy
    if not isinstance(policy, TokenPolicy):
        return []
    touched: dict[str, list[str]] = {}
    for source in (policy.log.read, policy.log.written):
        for patient, refs in source.items():
            bucket = touched.setdefault(patient, [])
            bucket.extend(r for r in refs if r not in bucket)
    created = _created_reference(req, result)
    out = []
    for patient, refs in sorted(touched.items()):
        if created and created not in refs:
            refs = [*refs, created]
        refs = [r for r in refs if "/" in r]
        if refs and all(r.startswith("AuditEvent/") for r in refs):
            continue  # reading the trail is not itself recorded
        out.append(_event(ctx, policy, req, result, patient, refs))
    return out


def record(ctx: Context, req: FhirRequest | None, result: FhirResponse | None) -> None:
    """Store the request's AuditEvents; a failure is logged and never turns the answer into an error."""
    if req is None or result is None:
        return
    try:
        to_store = events(ctx, req, result)
        if to_store:
            ctx.store.transaction(lambda session: ctx.store.insert_many_new(to_store, session))
    except Exception:  # noqa: BLE001 - the audit must not break the response it records
        log.exception("Could not record the audit trail of %s /%s", req.method, "/".join(req.path))


MASK = "*"


def patient_query(params: list[tuple[str, str]], patient: str) -> list[tuple[str, str]]:
    """The query as one patient's event records it: every parameter, but of the values only the
    ones that name this patient (its id, with or without ``Patient/`` or a base); the others show
    as ``*``. The event is in the patient's compartment, and a query may name other patients,
    their identifiers or names, which this patient must not read in their own trail."""
    return [(name, ",".join(part if _names(part, patient) else MASK for part in value.split(",")))
            for name, value in params]


def _names(value: str, patient: str) -> bool:
    return value in (patient, f"Patient/{patient}") or value.endswith(f"/Patient/{patient}")


def _created_reference(req: FhirRequest, result: FhirResponse) -> str | None:
    location = result.headers.get("Location", "")
    if req.method.upper() in ("POST", "PUT") and "/_history/" in location:
        parts = location.split("/_history/")[0].rsplit("/", 2)
        return f"{parts[-2]}/{parts[-1]}"
    return None


def _event(ctx: Context, policy: TokenPolicy, req: FhirRequest, result: FhirResponse, patient: str,
           refs: list[str]) -> dict[str, Any]:
    access = policy.access
    code, action = interaction(req)
    who: dict[str, Any] = {"reference": access.fhir_user} if access.fhir_user else {
        "identifier": {"system": "urn:emc:oauth-client", "value": access.client_id}}
    user_agent: dict[str, Any] = {"who": who, "requestor": True}
    if access.subject:
        user_agent["altId"] = access.subject
    if access.role in ROLE_CODES:
        user_agent["type"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleClass",
                                          "code": ROLE_CODES[access.role]}], "text": access.role}
    agents = [user_agent]
    if access.fhir_user:
        agents.append({"type": {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM",
                                            "code": "110150", "display": "Application"}]},
                       "who": {"identifier": {"system": "urn:emc:oauth-client", "value": access.client_id}},
                       "requestor": False})
    entities: list[dict[str, Any]] = [{
        "what": {"reference": f"Patient/{patient}"},
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person"},
        "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"},
    }]
    entities += [{"what": {"reference": ref},
                  "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2",
                           "display": "System Object"}}
                 for ref in refs[:MAX_ENTITIES] if ref != f"Patient/{patient}"]
    if action == "E" and code == "search-type" and req.params:
        query = urlencode(patient_query(req.params, patient)).encode("utf-8")
        entities.append({"type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2"},
                         "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "24",
                                  "display": "Query"},
                         "query": base64.b64encode(query).decode("ascii")})
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": new_id(),
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest",
                 "display": "RESTful Operation"},
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": code}],
        "action": action,
        "recorded": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "outcome": "0" if result.status < 400 else "4",
        "agent": agents,
        "source": {"site": ctx.base_url, "observer": {"display": "Moscow EMC FHIR server"},
                   "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4",
                             "display": "Application Server"}]},
        "entity": entities,
    }
    if access.purpose:
        purpose: dict[str, Any] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                                               "code": access.purpose}]}
        if access.reason:
            purpose["text"] = access.reason
        event["purposeOfEvent"] = [purpose]
    return event
