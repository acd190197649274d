"""The access policy, proved by property: generated worlds, tokens and writes against a model of reach.

Each example builds a small card world in the real MongoDB: patients of random age with or
without an MHI policy, guardians with verified or unverified, active or inactive links, clinicians
whose care the registry records (clinic roles, encounters, care teams), and card resources
pointing at several patients at once (subject, performer, participant, securityContext, target,
contained resources and extensions). Then tokens of every kind try random writes and every read
path. An independent model below says, from the documented rules alone (docs/auth.md), which
patients each resource belongs to and whom each token reaches; the properties:

- every resource anywhere in any answer is within the token's reach (soundness);
- a resource within reach is readable by id with a read-everything scope (the model is not vacuous);
- a resource out of reach reads exactly like an absent one;
- a write that succeeded joined only compartments within the writer's reach, a refused one stored
  nothing, and no write made by a user's token widened any clinician's care.

``make test`` runs 25 examples (``REACH_EXAMPLES`` sets another number); ``HYPOTHESIS_PROFILE=long``
runs 500 (docs/auth.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_server.access.policy import MOSCOW, Access, care_patients, policy_for
from fhir_server.auth.scopes import Scopes
from fhir_server.config import Settings
from fhir_server.errors import FhirError
from fhir_server.rest import Context, FhirRequest
from fhir_server.routes import make_context
from fhir_server.storage.mongo import Store, ensure_indexes
from fhir_server.storage.store import ResourceStore
from tests.auth.helpers import KINSHIP_VERIFIED, years_ago

settings.register_profile("default", max_examples=int(os.environ.get("REACH_EXAMPLES", "25")), deadline=None,
                          database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=500, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PATIENTS = ["pa", "pb", "pc", "pd"]
CLINICIANS = ["d1", "d2"]
ORGS = ["org1", "org2"]
AGES = {"adult": 40, "teen": 16, "child": 8}
MHI = "https://emc.mos.ru/fhir/sid/mhi"
EVERY = {"Binary", "Provenance"}  # types that take compartments from what they point at
CARE_TYPES = {"Encounter", "CareTeam"}
ABSENT = "DocumentReference/absent"  # a target that does not exist

# -- the world --------------------------------------------------------------------------------


@dataclass
class World:
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # "Type/id" -> resource
    registry_facts: set[str] = field(default_factory=set)  # care facts only the registry wrote
    ages: dict[str, str] = field(default_factory=dict)
    mhi: dict[str, bool] = field(default_factory=dict)
    links: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)  # rp -> (child, verified, active)
    roles: dict[str, tuple[str, bool]] = field(default_factory=dict)  # clinician -> (org, active)
    managing: dict[str, str] = field(default_factory=dict)  # patient -> org

    def add(self, resource: dict[str, Any]) -> None:
        self.resources[f"{resource['resourceType']}/{resource['id']}"] = resource


def ref(key: str) -> dict[str, str]:
    return {"reference": key}


@st.composite
def worlds(draw: st.DrawFn) -> World:
    world = World()
    world.add({"resourceType": "Organization", "id": "org1", "name": "Поликлиника 1"})
    world.add({"resourceType": "Organization", "id": "org2", "name": "Поликлиника 2"})
    for pid in PATIENTS:
        world.ages[pid] = draw(st.sampled_from(sorted(AGES)))
        world.mhi[pid] = draw(st.booleans())
        org = draw(st.sampled_from([None, *ORGS]))
        patient: dict[str, Any] = {"resourceType": "Patient", "id": pid, "birthDate": years_ago(AGES[world.ages[pid]]),
                                   "name": [{"family": pid}]}
        if world.mhi[pid]:
            patient["identifier"] = [{"system": MHI, "value": f"77000000000{PATIENTS.index(pid):05d}"}]
        if org:
            patient["managingOrganization"] = ref(f"Organization/{org}")
            world.managing[pid] = org
        world.add(patient)
    for doc in [*CLINICIANS, "m1"]:
        world.add({"resourceType": "Practitioner", "id": doc, "name": [{"family": doc}]})
    for doc in CLINICIANS:
        org, active = draw(st.sampled_from(ORGS)), draw(st.sampled_from([True, True, False]))
        world.roles[doc] = (org, active)
        world.add({"resourceType": "PractitionerRole", "id": f"role-{doc}", "active": active,
                   "practitioner": ref(f"Practitioner/{doc}"), "organization": ref(f"Organization/{org}")})
    for n in range(draw(st.integers(0, 3))):
        doc, pid = draw(st.sampled_from(CLINICIANS)), draw(st.sampled_from(PATIENTS))
        rtype = draw(st.sampled_from(sorted(CARE_TYPES)))
        world.add(_care_fact(rtype, f"fact{n}", doc, pid))
        world.registry_facts.add(f"{rtype}/fact{n}")
    for n, child in enumerate(draw(st.lists(st.sampled_from(PATIENTS), max_size=3, unique=True))):
        verified, active = draw(st.booleans()), draw(st.booleans())
        world.links[f"rp{n}"] = (child, verified, active)
        world.add({"resourceType": "RelatedPerson", "id": f"rp{n}", "active": active,
                   "patient": ref(f"Patient/{child}"), "extension": [{"url": KINSHIP_VERIFIED, "valueBoolean": verified}]})
    for n in range(draw(st.integers(1, 8))):
        resource = draw(card_resources(f"r{n}", sorted(world.resources)))
        world.add(resource)
        if resource["resourceType"] in CARE_TYPES:  # the registry wrote it: a fact of care
            world.registry_facts.add(f"{resource['resourceType']}/{resource['id']}")
    return world


def _care_fact(rtype: str, rid: str, doc: str, pid: str) -> dict[str, Any]:
    if rtype == "Encounter":
        return {"resourceType": "Encounter", "id": rid, "status": "finished", "subject": ref(f"Patient/{pid}"),
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                "participant": [{"individual": ref(f"Practitioner/{doc}")}]}
    return {"resourceType": "CareTeam", "id": rid, "status": "active", "subject": ref(f"Patient/{pid}"),
            "participant": [{"member": ref(f"Practitioner/{doc}")}]}


@st.composite
def card_resources(draw: st.DrawFn, rid: str | None, existing: list[str],
                   near: frozenset[str] | None = None) -> dict[str, Any]:
    """A card resource naming one or several patients, directly or through what it points at.

    ``near``: patients a writer reaches; they are named more often, so that writes mixing a card
    within reach with one outside it are common.
    """
    everyone = [f"Patient/{p}" for p in PATIENTS]
    nearby = [f"Patient/{p}" for p in sorted(near or ())]

    def patient_refs() -> st.SearchStrategy[str]:
        return st.sampled_from(nearby) | st.sampled_from(everyone) if nearby else st.sampled_from(everyone)

    kind = draw(st.sampled_from(["Observation", "DocumentReference", "CareTeam", "Encounter", "Binary",
                                 "Provenance"]))
    targets = [k for k in existing if k.split("/")[0] in ("Observation", "DocumentReference", "Patient", "Binary")]
    out: dict[str, Any] = {"resourceType": kind}
    if kind == "Encounter":
        out.update(_care_fact("Encounter", "x", draw(st.sampled_from(CLINICIANS)), "x"),
                   subject=ref(draw(patient_refs())))
        del out["id"]
    elif kind == "Observation":
        out.update(status="final", code={"text": "hb"}, subject=ref(draw(patient_refs())))
        performers = draw(st.lists(patient_refs() | st.just("Practitioner/d1"), max_size=2, unique=True))
        if performers:
            out["performer"] = [ref(p) for p in performers]
        if draw(st.booleans()):  # an extension and a contained resource naming other patients
            out["extension"] = [{"url": "https://example.org/about", "valueReference": ref(draw(patient_refs()))}]
            out["contained"] = [{"resourceType": "Observation", "id": "c", "status": "final", "code": {"text": "x"},
                                 "subject": ref(draw(patient_refs()))}]
            out["hasMember"] = [ref("#c")]
    elif kind == "DocumentReference":
        out.update(status="current", subject=ref(draw(patient_refs())),
                   content=[{"attachment": {"contentType": "text/plain", "data": "0J/RgNC40LLQtdGC"}}])
    elif kind == "CareTeam":
        out.update(status="active", subject=ref(draw(patient_refs())),
                   participant=[{"member": ref(m)} for m in draw(st.lists(
                       patient_refs() | st.sampled_from([f"Practitioner/{d}" for d in CLINICIANS]),
                       min_size=1, max_size=3, unique=True))])
    elif kind == "Binary":
        out.update(contentType="text/plain", data="0J/RgNC40LLQtdGC",
                   securityContext=ref(draw(st.sampled_from(targets) | st.just(ABSENT) | patient_refs())))
    else:
        out.update(recorded="2026-01-01T10:00:00Z", agent=[{"who": ref("Practitioner/d1")}],
                   target=[ref(t) for t in draw(st.lists(st.sampled_from(targets) | st.just(ABSENT), min_size=1,
                                                         max_size=3, unique=True))])
    if rid:
        out["id"] = rid
    return out


# -- the model: compartments and reach from the documented rules alone -----------------------------

def compartments(world: World, key: str, depth: int = 0) -> set[str]:
    """Patients whose card holds ``key`` (docs/auth.md, "Reach rules"; R4 CompartmentDefinition)."""
    resource = world.resources.get(key)
    if resource is None or depth > 4:
        return set()
    rtype = resource["resourceType"]

    def patients(*refs: Any) -> set[str]:
        return {r["reference"].split("/")[1] for r in refs if r and r["reference"].startswith("Patient/")}

    if rtype == "Patient":
        return {resource["id"]}
    if rtype == "Observation":
        return patients(resource.get("subject"), *resource.get("performer", []))
    if rtype in ("DocumentReference", "Encounter"):  # (Encounter: the R4 param ``patient`` is its subject)
        return patients(resource.get("subject"))
    if rtype == "CareTeam":
        return patients(resource.get("subject"), *[p["member"] for p in resource.get("participant", [])])
    if rtype == "RelatedPerson":
        return patients(resource.get("patient"))
    if rtype in EVERY:
        pointed = [resource["securityContext"]] if rtype == "Binary" else resource["target"]
        out: set[str] = set()
        for target in pointed:
            out |= patients(target) or compartments(world, target["reference"], depth + 1)
        return out
    return set()


@dataclass(frozen=True)
class Token:
    name: str
    access: Access
    reach: frozenset[str] | None  # None: every patient
    unattached: bool  # resources in no compartment (directory data)
    writes: bool


def clinician_care(world: World, doc: str) -> set[str]:
    org, active = world.roles[doc]
    care = {p for p, o in world.managing.items() if active and o == org}
    for key in world.registry_facts:
        fact = world.resources[key]
        people = [p["individual" if fact["resourceType"] == "Encounter" else "member"]["reference"]
                  for p in fact.get("participant", [])]
        if f"Practitioner/{doc}" in people:
            care.add(fact["subject"]["reference"].split("/")[1])
    return care


def tokens(world: World) -> list[Token]:
    def access(role: str | None, scope: str, **kw: Any) -> Access:
        return Access(client_id="app", scopes=Scopes(scope), role=role, **kw)

    out = [Token("backend", access(None, "system/*.rs"), None, True, False)]
    for pid in PATIENTS:
        qualifies = world.ages[pid] == "adult" or world.ages[pid] == "teen"
        reach = frozenset({pid}) if qualifies and world.mhi[pid] else frozenset()
        out.append(Token(f"patient {pid}", access("patient", "patient/*.cruds", fhir_user=f"Patient/{pid}",
                                                   patient=pid), reach, False, True))
    for rp, (child, verified, active) in world.links.items():
        ok = verified and active and world.ages[child] == "child"
        out.append(Token(f"guardian {rp}", access("guardian", "patient/*.cruds", fhir_user=f"RelatedPerson/{rp}",
                                                   patient=child, links=(rp,)),
                         frozenset({child}) if ok else frozenset(), False, True))
    for doc in CLINICIANS:
        care = frozenset(clinician_care(world, doc))
        out.append(Token(f"clinician {doc}", access("clinician", "user/*.cruds", fhir_user=f"Practitioner/{doc}"),
                         care, True, True))
    out.append(Token("ambulance, no emergency", access("ambulance", "user/*.rs", fhir_user="Practitioner/m1"),
                     frozenset(), True, False))
    for pid in PATIENTS[:2]:
        out.append(Token(f"ambulance, emergency {pid}", access("ambulance", "patient/*.rs", fhir_user="Practitioner/m1",
                                                               patient=pid, purpose="ETREAT", reason="call"),
                         frozenset({pid}), True, False))
    return out


def within(token: Token, world: World, key: str) -> bool:
    held = compartments(world, key)
    if not held:
        return token.unattached
    if token.reach is None:
        return True
    return held <= token.reach if key.split("/")[0] in EVERY else bool(held & token.reach)


# -- driving the server -----------------------------------------------------------------------------

def ask(ctx: Context, method: str, url: str, body: Any = None) -> tuple[int, Any]:
    path, _, query = url.partition("?")
    params = [tuple(p.split("=", 1)) for p in query.split("&") if p]
    req = FhirRequest(method=method, path=[p for p in path.split("/") if p], params=params,  # type: ignore[misc]
                      body=body)
    try:
        resp = ctx.dispatch(req)
    except FhirError as exc:
        return exc.status, exc.outcome()
    return resp.status, resp.resource


def found(value: Any) -> list[str]:
    """``Type/id`` of every resource anywhere in an answer (entries, nested bundles, included)."""
    out: list[str] = []
    if isinstance(value, dict):
        if value.get("resourceType") not in (None, "Bundle", "OperationOutcome", "Parameters") and "id" in value:
            out.append(f"{value['resourceType']}/{value['id']}")
        for key, item in value.items():
            if key != "contained":
                out.extend(found(item))
    elif isinstance(value, list):
        for item in value:
            out.extend(found(item))
    return out


def read_paths(world: World) -> list[str]:
    keys = sorted(world.resources)
    types = sorted({k.split("/")[0] for k in keys})
    paths = [*keys, *(f"{k}/_history/1" for k in keys), *(f"{k}/_history" for k in keys), *types,
             *(f"{t}/_history" for t in types), "_history",
             "Observation?_include=Observation:subject&_include=Observation:performer",
             "Patient?_revinclude=Observation:subject&_revinclude=Provenance:target&_revinclude=CareTeam:participant",
             "Provenance?_include=Provenance:target&_include:iterate=Observation:subject",
             "DocumentReference?_include=DocumentReference:subject",
             "Observation?patient:Patient.family=pa", "Patient?_has:Observation:subject:status=final",
             *(f"Patient/{p}/$everything" for p in PATIENTS)]
    return paths


def check_reads(ctx_of: Any, world: World, token: Token) -> None:
    ctx = ctx_of(token)
    for path in read_paths(world):
        status, body = ask(ctx, "GET", path)
        for key in found(body):
            assert key in world.resources, (token.name, path, key)
            assert within(token, world, key), f"{token.name} got {key} ({compartments(world, key)}) from {path}"
    batch = {"resourceType": "Bundle", "type": "batch",
             "entry": [{"request": {"method": "GET", "url": k}} for k in sorted(world.resources)]}
    _, body = ask(ctx, "POST", "", batch)
    for key in found(body):
        assert within(token, world, key), f"{token.name} got {key} through a batch"
    for key in sorted(world.resources):
        status, body = ask(ctx, "GET", key)
        if within(token, world, key):
            assert status == 200, f"{token.name} cannot read {key} within reach: {body}"
        else:
            absent_key = f"{key.split('/')[0]}/no-such-id"
            absent_status, absent = ask(ctx, "GET", absent_key)
            same = str(absent["issue"]).replace(absent_key, key)  # the answer names the id asked for
            assert (status, str(body.get("issue"))) == (absent_status, same), f"{token.name} read {key}"


@given(world=worlds(), writes=st.lists(st.integers(0, 20), min_size=2, max_size=12), data=st.data())
def test_no_token_reaches_beyond_the_rules(reach_store: Store, world: World, writes: list[int],
                                           data: st.DataObject) -> None:
    for name in ("resources", "history"):
        reach_store.db[name].delete_many({})
    registry = ResourceStore(reach_store)
    registry.transaction(lambda s: [registry.put(r, s) for r in world.resources.values()])
    config = Settings(base_url="http://localhost/fhir", auth="on")
    today = datetime.now(MOSCOW).date()

    def ctx_of(token: Token) -> Context:
        policy = policy_for(token.access, registry, today)
        store = registry if token.access.role is None else registry.written_by_user()
        return replace(make_context(config, reach_store, policy=policy), store=store)

    everyone = tokens(world)
    # clinicians write most: their reach is the one a write could widen
    writers = [t for t in everyone if t.writes and t.name.startswith("clinician")] * 2 + \
        [t for t in everyone if t.writes]
    for pick in writes:
        token = writers[pick % len(writers)]
        body = data.draw(card_resources(None, sorted(world.resources), token.reach), label=f"write by {token.name}")
        before = reach_store.db.resources.count_documents({})
        status, answer = ask(ctx_of(token), "POST", body["resourceType"], body)
        if status == 201:
            key = f"{body['resourceType']}/{answer['id']}"
            world.add(answer)
            held = compartments(world, key)
            assert token.reach is not None and held <= token.reach, f"{token.name} wrote {key} into {held}"
            # a link to nothing is refused like one out of reach: a write never tells what exists
            assert ABSENT not in str(body), f"{token.name} pointed {key} at nothing"
        else:
            assert status in (400, 403, 422), (status, answer)
            assert reach_store.db.resources.count_documents({}) == before  # nothing half-stored
    for doc in CLINICIANS:  # nothing a user's token wrote widened anyone's care
        assert care_patients(registry, doc) <= clinician_care(world, doc)
    for token in everyone:
        check_reads(ctx_of, world, token)


@pytest.fixture(scope="module")
def reach_store(mongo_client):  # type: ignore[no-untyped-def]
    """One database for every example (emptied at each): indexes are built once."""
    import uuid

    store = Store(client=mongo_client, db=mongo_client[f"t_reach_{uuid.uuid4().hex[:8]}"])
    ensure_indexes(store)
    yield store
    mongo_client.drop_database(store.db.name)
