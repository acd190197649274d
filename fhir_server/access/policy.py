"""The one access-policy layer: every interaction asks it before returning or changing data.

A policy answers four questions: may this stored document be seen (``visible``), which extra
MongoDB filter narrows a search of a type (``search_filter``) or a history query
(``history_filter``), and may this resource be written (``check_write``). A document that is not
visible is answered exactly like an absent one.

Without authentication (``FHIR_AUTH=off``, loopback only) the server runs with
:class:`OpenAccess`. With it, :func:`policy_for` turns a verified token (an :class:`Access`) into a
:class:`TokenPolicy`:

- each scope context (``patient``, ``user``, ``system``) of the token has a :class:`Reach`, the
  patients whose compartments it opens (and whether resources in no compartment, such as
  Practitioner or Organization, are open too); a resource is visible through a context when the
  token has a read scope for its type there, its granular query matches, and the reach covers it;
- **patients** reach their own compartment; they may write only health-diary Observations
  (their Patient as performer), never clinical records;
- **guardians** (a ``RelatedPerson``) reach the child's compartment only while the link is active
  and its kinship verified and the child is under 15 on today's Moscow date, checked at every
  request: access ends on the 15th birthday whatever the token says;
- **clinicians** reach the patients in their care (``Patient.managingOrganization`` or
  ``generalPractitioner`` through their PractitionerRoles, or an Encounter, EpisodeOfCare or
  CareTeam naming them); **break-the-glass** (purpose of use ``BTG`` or, for ambulance crews,
  ``ETREAT``) opens one patient's card, read-only, and every access is audited;
- **backend services** reach everything their ``system/`` scopes name.

Everything a policy lets through is noted in its :class:`AccessLog`; ``fhir_server.access.audit`` turns
that into AuditEvents after the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from fhir_server.errors import Forbidden
from fhir_server.search.extract import extract
from fhir_server.storage import linked_compartments

if TYPE_CHECKING:
    from fhir_server.auth.scopes import Scopes
    from fhir_server.storage.store import ResourceStore

MOSCOW = ZoneInfo("Europe/Moscow")
GUARDIAN_AGE_LIMIT = 15
KINSHIP_VERIFIED = "https://emc.mos.ru/fhir/StructureDefinition/kinship-verified"
#: The Moscow MHI policy number (profiles/NamingSystem-mhi.json): a patient account needs one.
MHI_SYSTEM = "https://emc.mos.ru/fhir/sid/mhi"
BREAK_THE_GLASS = frozenset({"BTG", "ETREAT"})
#: A filter no document matches.
NOTHING: dict[str, Any] = {"_id": {"$in": []}}
#: Upper bound of ids a history query is narrowed to (a card larger than this pages slowly).
HISTORY_ID_LIMIT = 50_000
#: Types whose compartments are those of the resources they hold (``search.extract.compartments``):
#: one is within reach only when every one of its compartments is, or it would carry one patient's
#: data to another.
EVERY_COMPARTMENT = frozenset({"Bundle", "Group"})
#: Definitional and terminology resources change how the server validates, indexes and answers for
#: everyone: only system (backend) tokens and the administrator's command line write them.
DEFINITIONAL = frozenset({
    "SearchParameter", "StructureDefinition", "CodeSystem", "ValueSet", "ConceptMap", "NamingSystem",
    "OperationDefinition", "CompartmentDefinition", "CapabilityStatement", "ImplementationGuide",
    "StructureMap", "GraphDefinition", "MessageDefinition", "TerminologyCapabilities", "ExampleScenario",
    "Questionnaire", "PlanDefinition", "ActivityDefinition", "Library", "Measure", "EventDefinition",
    "ObservationDefinition", "SpecimenDefinition", "ChargeItemDefinition", "EffectEvidenceSynthesis",
})


def needs_every_compartment(resource_type: str) -> bool:
    """Whether a resource of this type is open only to a token reaching each of its compartments:
    a Bundle, and resources that take compartments from what they point at (linked_compartments)."""
    return resource_type in EVERY_COMPARTMENT or linked_compartments.follows_links(resource_type)


class AccessPolicy(Protocol):
    def visible(self, doc: dict[str, Any]) -> bool: ...

    def search_filter(self, resource_type: str) -> dict[str, Any]: ...

    def history_filter(self, resource_type: str | None) -> dict[str, Any]: ...

    def check_write(self, resource_type: str, resource: dict[str, Any] | None,
                    current: dict[str, Any] | None = None,
                    pending: Mapping[str, list[str]] | None = None) -> None: ...


class OpenAccess:
    """Everything is reachable: the policy of a server bound to loopback with FHIR_AUTH=off."""

    def visible(self, doc: dict[str, Any]) -> bool:
        return True

    def search_filter(self, resource_type: str) -> dict[str, Any]:
        return {}

    def history_filter(self, resource_type: str | None) -> dict[str, Any]:
        return {}

    def check_write(self, resource_type: str, resource: dict[str, Any] | None,
                    current: dict[str, Any] | None = None,
                    pending: Mapping[str, list[str]] | None = None) -> None:
        return None


@dataclass(frozen=True)
class Access:
    """What a verified token says, as the policy needs it (built by ``fhir_server.auth.bearer``)."""

    client_id: str
    scopes: Scopes
    role: str | None = None  # patient | guardian | clinician | ambulance; None for backend services
    subject: str | None = None  # the user name
    fhir_user: str | None = None  # Patient/x, RelatedPerson/x, Practitioner/x
    patient: str | None = None  # launch context
    encounter: str | None = None
    purpose: str | None = None  # BTG / ETREAT for break-the-glass
    reason: str | None = None  # the emergency declared
    links: tuple[str, ...] = ()  # a guardian account's current RelatedPerson ids


@dataclass(frozen=True)
class Reach:
    """The patients whose compartments are open (None: all) and whether unattached resources are."""

    patients: frozenset[str] | None
    unattached: bool = False

    def covers(self, compartments: list[str], every: bool = False) -> bool:
        """Whether one (``every``: each) of ``compartments`` is open; no compartment: ``unattached``."""
        if compartments:
            if self.patients is None:
                return True
            return (all if every else any)(p in self.patients for p in compartments)
        return self.unattached

    def filter(self, every: bool = False) -> dict[str, Any] | None:
        if self.patients is None:
            return {} if self.unattached else {"cmp.0": {"$exists": True}}
        clauses: list[dict[str, Any]] = []
        if self.patients and every:
            # The $in keeps the compartment index usable; the $not drops documents of other cards.
            clauses.append({"$and": [{"cmp": {"$in": sorted(self.patients)}},
                                     {"cmp": {"$not": {"$elemMatch": {"$nin": sorted(self.patients)}}}}]})
        elif self.patients:
            clauses.append({"cmp": {"$in": sorted(self.patients)}})
        if self.unattached:
            clauses.append({"cmp": {"$size": 0}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}


@dataclass
class AccessLog:
    """What one request saw and wrote, for the audit trail: patient id -> resource references."""

    read: dict[str, list[str]] = field(default_factory=dict)
    written: dict[str, list[str]] = field(default_factory=dict)

    def note(self, into: dict[str, list[str]], compartments: list[str], reference: str) -> None:
        for patient in compartments:
            refs = into.setdefault(patient, [])
            if reference not in refs:
                refs.append(reference)


WriteRule = Callable[[str, dict[str, Any] | None, dict[str, Any] | None], bool]


def _and(*filters: dict[str, Any]) -> dict[str, Any]:
    parts = [f for f in filters if f]
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}


class TokenPolicy:
    """The policy of one request made with a token: reaches per scope context, scopes, write rule."""

    def __init__(self, access: Access, reaches: dict[str, Reach], store: ResourceStore, *,
                 read_only: bool = False, write_rule: WriteRule | None = None) -> None:
        self.access = access
        self.reaches = reaches
        self.store = store
        self.read_only = read_only
        self.write_rule = write_rule
        self.log = AccessLog()

    # -- what a document is ---------------------------------------------------------------
    def _compartments(self, doc: dict[str, Any]) -> list[str]:
        if "cmp" in doc:
            return list(doc["cmp"])
        if "res" not in doc:
            return []
        # A history version stored before versions kept their compartments: computed as a write would.
        return linked_compartments.compartments_of(self.store.store.resources, doc["res"],
                                                   extract(doc["res"]).compartments)[0]

    @staticmethod
    def _entries(doc: dict[str, Any]) -> list[dict[str, Any]]:
        return doc["i"] if "i" in doc else extract(doc.get("res") or {}).entries

    def _live(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        """A deletion is as visible as the version it deleted."""
        if not doc.get("del"):
            return doc
        return self.store.version(doc["t"], doc["id"], doc["vid"] - 1) if doc.get("vid", 0) > 1 else None

    def _allowed(self, rtype: str, permission: str, compartments: list[str],
                 entries: Callable[[], list[dict[str, Any]]], every: bool | None = None) -> bool:
        """Whether one scope context lets ``permission`` through for a resource in ``compartments``.

        Reads need one of its compartments within reach (``every``: each, see
        ``needs_every_compartment``); writes always need each one.
        """
        if every is None:
            every = needs_every_compartment(rtype)
        for context, reach in self.reaches.items():
            if not reach.covers(compartments, every):
                continue
            applicable = self.access.scopes.applicable(context, rtype, permission)
            if any(not s.restrictions for s in applicable):
                return True
            if applicable and any(s.matches(entries()) for s in applicable):
                return True
        return False

    # -- the policy -----------------------------------------------------------------------
    def visible(self, doc: dict[str, Any]) -> bool:
        live = self._live(doc)
        if live is None:
            return False
        compartments = self._compartments(live)
        if not self._allowed(live["t"], "r", compartments, lambda: self._entries(live)):
            return False
        self.log.note(self.log.read, compartments, f"{live['t']}/{live['id']}")
        return True

    def search_filter(self, resource_type: str) -> dict[str, Any]:
        """What a search may match: through one context, its search and read scopes and its reach.

        Never wider than ``visible`` (which needs read), so that counts (``Bundle.total``,
        ``_summary=count``) and condition matches hold nothing the entries could not show.
        """
        clauses = []
        every = needs_every_compartment(resource_type)
        for context, reach in self.reaches.items():
            scope_filter = self.access.scopes.filter(context, resource_type, "s")
            read_filter = self.access.scopes.filter(context, resource_type, "r")
            reach_filter = reach.filter(every)
            if scope_filter is None or read_filter is None or reach_filter is None:
                continue
            clause = _and(scope_filter, read_filter, reach_filter)
            if not clause:
                return {}
            clauses.append(clause)
        if not clauses:
            return NOTHING
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    def history_filter(self, resource_type: str | None) -> dict[str, Any]:
        """Narrow history to the ids of resources currently within reach (each version is re-checked).

        ``{}`` only when every version of every resource is visible, since the caller then reports a
        ``total``; a token that reaches every patient is narrowed to the types it may read.
        """
        if all(r.patients is None for r in self.reaches.values()) and self.reaches:
            readable = self._readable_types()
            if readable is None:
                return {"t": resource_type} if resource_type else {}
            if resource_type:
                return {"t": resource_type} if resource_type in readable else NOTHING
            return {"t": {"$in": sorted(readable)}} if readable else NOTHING
        reach_filters = [f for f in (r.filter() for r in self.reaches.values()) if f is not None]
        if not reach_filters:
            return NOTHING
        query = _and({"t": resource_type} if resource_type else {},
                     reach_filters[0] if len(reach_filters) == 1 else {"$or": reach_filters})
        by_type: dict[str, list[str]] = {}
        rows = self.store.store.resources.find(query, {"t": 1, "id": 1}).limit(HISTORY_ID_LIMIT)
        for row in rows:
            by_type.setdefault(row["t"], []).append(row["id"])
        if not by_type:
            return NOTHING
        clauses = [{"t": t, "id": {"$in": ids}} for t, ids in sorted(by_type.items())]
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    def _readable_types(self) -> frozenset[str] | None:
        """Types some read scope names through a context that reaches everything (None: all types)."""
        types: set[str] = set()
        for context, reach in self.reaches.items():
            if reach.patients is not None or not reach.unattached:
                continue
            for scope in self.access.scopes.resource:
                if scope.context == context and "r" in scope.permissions:
                    if scope.resource_type == "*" and not scope.restrictions:
                        return None
                    types.add(scope.resource_type)
        return frozenset(types)

    def _reads_every(self, resource_type: str) -> bool:
        """Whether every resource of the type, wherever it is, is visible to this token."""
        return any(reach.patients is None and reach.unattached
                   and self.access.scopes.filter(context, resource_type, "r") == {}
                   for context, reach in self.reaches.items())

    def _permits(self, doc: dict[str, Any], permission: str, every: bool | None = None) -> bool:
        return self._allowed(doc["t"], permission, self._compartments(doc), lambda: self._entries(doc), every)

    def _reaches_all_patients(self) -> bool:
        return any(reach.patients is None for reach in self.reaches.values())

    def _joins(self, resource_type: str, resource: dict[str, Any],
               pending: Mapping[str, list[str]] | None) -> tuple[list[str], list[dict[str, Any]]]:
        """(compartments ``resource`` would join, its index entries), links followed as the store will."""
        extracted = extract(resource)
        targets = linked_compartments.links(resource)
        if not targets:
            return extracted.compartments, extracted.entries
        linked, missing = linked_compartments.resolve(self.store.store.resources, targets, pending=pending)
        if missing and not self._reaches_all_patients():
            # A target that does not exist is refused like one out of reach: a write never tells
            # whether a resource the token may not see exists.
            raise Forbidden(_link_refusal(resource_type))
        return linked_compartments.merged(extracted.compartments, linked), extracted.entries

    def check_write(self, resource_type: str, resource: dict[str, Any] | None,
                    current: dict[str, Any] | None = None,
                    pending: Mapping[str, list[str]] | None = None) -> None:
        """May this token store ``resource`` (None: delete ``current``, the stored document)?

        The write scope and reach must cover every compartment both of what is written and of what
        it replaces or deletes, so that a write never carries data into a card the writer cannot
        write (docs/auth.md). ``pending``: compartments of resources created by the same bundle.
        """
        if self.read_only:
            raise Forbidden("This token was issued for emergency reading (break-the-glass): it cannot write")
        existing = None
        if resource is not None and isinstance(resource.get("id"), str):
            stored = self.store.current(resource_type, resource["id"])
            existing = stored if stored and not stored.get("del") else None
            if (existing is None and not self._reads_every(resource_type)) or (
                    existing is not None and not self._permits(existing, "r")):
                # Only a token that sees every resource of the type may choose ids (update as create): for
                # any other an id out of reach is answered like an absent one, so that a PUT never tells
                # whether a resource it may not see exists.
                raise Forbidden(f"This token cannot write {resource_type}/{resource['id']}: update an existing "
                                f"resource within reach, or create with POST")
        permission = "d" if resource is None else ("u" if existing else "c")
        replaced = existing if resource is not None else current
        if self.write_rule is not None and not self.write_rule(
                resource_type, resource, replaced.get("res") if replaced else None):
            raise Forbidden(f"This account may not write {resource_type} resources of this kind")
        if existing is not None and not self._permits(existing, "u", every=True):
            raise Forbidden(f"The token's scopes do not allow writing this {resource_type}")
        if resource is not None:
            compartments, entries = self._joins(resource_type, resource, pending)
            if not self._allowed(resource_type, permission, compartments, lambda: entries, every=True):
                raise Forbidden(_link_refusal(resource_type) if linked_compartments.links(resource)
                                else f"The token's scopes do not allow writing this {resource_type}")
            reference = f"{resource_type}/{resource.get('id', '')}".rstrip("/")
            self.log.note(self.log.written, compartments, reference)
        elif current is not None and not current.get("del"):
            if not self._permits(current, "d", every=True):
                raise Forbidden(f"The token's scopes do not allow deleting this {resource_type}")
        elif not any(self.access.scopes.allows(c, resource_type, "d") for c in self.reaches):
            raise Forbidden(f"The token's scopes do not allow deleting {resource_type} resources")


def _link_refusal(resource_type: str) -> str:
    return (f"This token cannot write this {resource_type}: what it points at must exist and be within "
            f"the token's reach")


# -- turning a token into a policy ----------------------------------------------------------------

def policy_for(access: Access, store: ResourceStore, today: date | None = None) -> TokenPolicy:
    """The policy of a verified token, with the facts (links, birthdays, care) read now."""
    today = today or datetime.now(MOSCOW).date()
    if access.role is None:
        return TokenPolicy(access, {"system": Reach(None, unattached=True)}, store, write_rule=_no_audit_writes)
    if access.role == "patient":
        own = _reference_id(access.fhir_user, "Patient")
        if own and patient_account_problem(_current_resource(store, "Patient", own), today) is not None:
            own = None  # the account stops working the day its Patient stops qualifying
        reach = Reach(frozenset({own}) if own else frozenset())
        return TokenPolicy(access, {"patient": reach, "user": reach}, store, write_rule=_diary_rule(own))
    if access.role == "guardian":
        child = guardian_child(access, store, today)
        reach = Reach(frozenset({child}) if child else frozenset())
        return TokenPolicy(access, {"patient": reach, "user": reach}, store, write_rule=_diary_rule(child))
    if access.role in ("clinician", "ambulance"):
        return _practitioner_policy(access, store)
    return TokenPolicy(access, {}, store)  # an unknown role reaches nothing


def _practitioner_policy(access: Access, store: ResourceStore) -> TokenPolicy:
    if access.purpose in BREAK_THE_GLASS and access.patient:
        reach = Reach(frozenset({access.patient}), unattached=True)
        return TokenPolicy(access, {"patient": reach, "user": reach}, store, read_only=True,
                           write_rule=_no_audit_writes)
    practitioner = _reference_id(access.fhir_user, "Practitioner")
    care = care_patients(store, practitioner) if practitioner and access.role == "clinician" else frozenset()
    reaches = {"user": Reach(care, unattached=True)}
    if access.patient:
        reaches["patient"] = Reach(frozenset({access.patient}) & care, unattached=True)
    return TokenPolicy(access, reaches, store, write_rule=_no_reach_writes)


def _current_resource(store: ResourceStore, rtype: str, rid: str) -> dict[str, Any] | None:
    doc = store.current(rtype, rid)
    return None if doc is None or doc.get("del") else doc["res"]


def _reference_id(reference: str | None, rtype: str) -> str | None:
    if reference and reference.startswith(f"{rtype}/"):
        return reference[len(rtype) + 1:]
    return None


def _no_audit_writes(rtype: str, resource: dict[str, Any] | None, existing: dict[str, Any] | None) -> bool:
    """The audit trail is written by the server only."""
    return rtype != "AuditEvent"


#: Resources in no compartment that decide whom a clinician reaches (``care_patients``): a user's token
#: may not write them, or it could widen its own reach (a role at any clinic opens all its patients).
REACH_FACTS = frozenset({"PractitionerRole"})
#: Elements of card resources that decide someone's reach: set by the registry, never by a user's token.
REACH_ELEMENTS = {"Patient": ("generalPractitioner", "managingOrganization")}


def _no_reach_writes(rtype: str, resource: dict[str, Any] | None, existing: dict[str, Any] | None) -> bool:
    """Clinicians: neither the audit trail, definitions, nor the facts of anyone's reach.

    Encounters, episodes and care teams a clinician writes are allowed but marked as written by a
    user (``uw``), and only unmarked ones count as care (``care_patients``); the elements of a
    Patient that decide reach and a RelatedPerson's verified kinship stay as the registry set them.
    """
    if not _no_audit_writes(rtype, resource, existing) or rtype in REACH_FACTS or rtype in DEFINITIONAL:
        return False
    for element in REACH_ELEMENTS.get(rtype, ()):
        if (resource or {}).get(element) != (existing or {}).get(element):
            return False
    if rtype == "RelatedPerson" and any(r is not None and kinship_verified(r) for r in (resource, existing)):
        return False
    return True


def _diary_rule(patient: str | None) -> WriteRule:
    """Patients (and guardians for a child) write health-diary Observations only.

    A diary entry is an Observation about the patient with the patient as performer
    (docs/architecture.md, "The card as FHIR"); an update must also replace a diary entry, never a
    clinical record; nothing is deleted through a patient's token.
    """

    def is_diary(resource: dict[str, Any] | None) -> bool:
        if not resource or resource.get("resourceType") != "Observation" or not patient:
            return False
        target = f"Patient/{patient}"
        subject = (resource.get("subject") or {}).get("reference")
        performers = {p.get("reference") for p in resource.get("performer") or [] if isinstance(p, dict)}
        return subject == target and target in performers

    def rule(rtype: str, resource: dict[str, Any] | None, existing: dict[str, Any] | None) -> bool:
        if resource is None or rtype != "Observation":
            return False
        return is_diary(resource) and (existing is None or is_diary(existing))

    return rule


# -- facts the policies depend on -----------------------------------------------------------------

def fifteenth_birthday(birth_date: str) -> date | None:
    """The day a patient born on ``birth_date`` (FHIR date, maybe partial) turns 15.

    A partial date counts from its earliest day, so access never outlives the real birthday; a
    29 February birthday is reached on 1 March in common years.
    """
    parts = birth_date.split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 1
        day = int(parts[2][:2]) if len(parts) > 2 else 1
        born = date(year, month, day)
    except (ValueError, IndexError):
        return None
    try:
        return born.replace(year=born.year + GUARDIAN_AGE_LIMIT)
    except ValueError:  # 29 February
        return date(born.year + GUARDIAN_AGE_LIMIT, 3, 1)


def is_under_age_limit(patient: dict[str, Any], today: date) -> bool:
    birth = patient.get("birthDate")
    limit = fifteenth_birthday(birth) if isinstance(birth, str) else None
    return limit is not None and today < limit


def patient_account_problem(patient: dict[str, Any] | None, today: date) -> str | None:
    """Why this Patient cannot hold an account of its own today; None when it can.

    The card opens to residents from their 15th birthday (Moscow date) with a Moscow MHI policy;
    younger children are reached only through a verified guardian. Checked when an account is made
    and again at every request, so an account stops working the day the facts stop holding.
    """
    if patient is None:
        return "no such Patient"
    if patient.get("active") is False:
        return "the Patient record is inactive"
    birth = patient.get("birthDate")
    if not isinstance(birth, str) or fifteenth_birthday(birth) is None:
        return "the Patient has no birth date"
    if is_under_age_limit(patient, today):
        return f"the patient is under {GUARDIAN_AGE_LIMIT} (born {birth}): a child's card is opened by a guardian"
    if not any(isinstance(i, dict) and i.get("system") == MHI_SYSTEM and isinstance(i.get("value"), str)
               and i["value"].strip() for i in patient.get("identifier") or []):
        return f"the Patient has no MHI policy number ({MHI_SYSTEM})"
    return None


def kinship_verified(related: dict[str, Any]) -> bool:
    return any(isinstance(e, dict) and e.get("url") == KINSHIP_VERIFIED and e.get("valueBoolean") is True
               for e in related.get("extension") or [])


def guardian_link_valid(link: str | None, child: str | None, store: ResourceStore, today: date) -> bool:
    """Whether RelatedPerson ``link`` lets its person act for Patient ``child`` today.

    The link must exist, be active, carry the verified-kinship extension and point at the child,
    and the child must be under 15 on today's (Moscow) date.
    """
    if not link or not child:
        return False
    doc = store.current("RelatedPerson", link)
    if not doc or doc.get("del"):
        return False
    related = doc["res"]
    if related.get("active") is not True or not kinship_verified(related):
        return False
    if (related.get("patient") or {}).get("reference") != f"Patient/{child}":
        return False
    patient = store.current("Patient", child)
    if not patient:
        return False
    return not patient.get("del") and is_under_age_limit(patient["res"], today)


def guardian_child(access: Access, store: ResourceStore, today: date) -> str | None:
    """The child a guardian token may reach today, or None once any condition fails."""
    link = _reference_id(access.fhir_user, "RelatedPerson")
    if link not in access.links or not guardian_link_valid(link, access.patient, store, today):
        return None
    return access.patient


def eligible_children(store: ResourceStore, links: list[str], today: date | None = None) -> list[tuple[str, str]]:
    """(RelatedPerson id, Patient id) of the links through which a guardian may act today."""
    today = today or datetime.now(MOSCOW).date()
    out: list[tuple[str, str]] = []
    for link in links:
        doc = store.current("RelatedPerson", link)
        reference = (((doc or {}).get("res") or {}).get("patient") or {}).get("reference", "")
        child = _reference_id(reference, "Patient")
        if guardian_link_valid(link, child, store, today):
            out.append((link, str(child)))
    return out


#: Care facts and the element naming their patient. Only versions written by the clinic's systems
#: (no ``uw`` mark: backend services, the registry's imports) count, and not those recorded in error.
CARE_FACTS = (("Encounter", ("participant", "practitioner"), "subject"),
              ("EpisodeOfCare", ("care-manager",), "patient"),
              ("CareTeam", ("participant",), "subject"))
NOT_CARE = ["entered-in-error", "cancelled"]


def care_patients(store: ResourceStore, practitioner: str) -> frozenset[str]:
    """Patients in a practitioner's care, from facts no user's token can write (docs/auth.md).

    Their clinics' patients (an active PractitionerRole's organization as the Patient's managing
    organization or general practitioner), patients naming them or their roles as general
    practitioner, and the subjects of encounters, episodes of care and care teams naming them.
    """
    resources = store.store.resources
    me = f"Practitioner/{practitioner}"
    roles = list(resources.find({"t": "PractitionerRole", "uw": {"$exists": False},
                                 "i": {"$elemMatch": {"p": "practitioner", "v": me}}},
                                {"id": 1, "res.organization": 1, "res.active": 1}))
    active_roles = [r for r in roles if (r.get("res") or {}).get("active", True) is not False]
    people = [me] + [f"PractitionerRole/{r['id']}" for r in active_roles]
    clinics = sorted({o for r in active_roles
                      if isinstance(o := ((r.get("res") or {}).get("organization") or {}).get("reference"), str)})
    patients: set[str] = set()
    patients.update(resources.distinct("id", {"t": "Patient", "$or": [
        {"i": {"$elemMatch": {"p": "general-practitioner", "v": {"$in": people + clinics}}}},
        {"i": {"$elemMatch": {"p": "organization", "v": {"$in": clinics}}}},
    ]}))
    for rtype, codes, element in CARE_FACTS:
        query = {"t": rtype, "uw": {"$exists": False}, "res.status": {"$nin": NOT_CARE},
                 "i": {"$elemMatch": {"p": {"$in": list(codes)}, "v": {"$in": people}}}}
        for reference in resources.distinct(f"res.{element}.reference", query):
            patient = _reference_id(reference, "Patient") if isinstance(reference, str) else None
            if patient and "/" not in patient:
                patients.add(patient)
    return frozenset(patients)
