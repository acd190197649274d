"""The consent screen: whose card, which parts of it, and (for emergencies) why.

After the two-stage login the user sees what the app asked for and decides:

- the **resource types** requested, one checkbox each (a wildcard scope is shown as the card's
  sections); unticked types are removed from the grant, so the token's ``scope`` reflects it;
- the **patient**: a patient's own card; for a guardian a picker of the children they may act for
  today (active, verified link, under 15); for a clinician the patients in their care, or any
  patient by id or MHI policy number when they declare an emergency (break-the-glass, ``BTG``);
  without an emergency, a patient who does not exist gets the same answer as one out of their care,
  so the screen cannot be used to learn which ids and policy numbers exist;
  an ambulance crew member always names the patient and declares emergency treatment (``ETREAT``);
  an EHR launch fixes the patient (and encounter);
- break-the-glass grants are read-only, carry no refresh token, and every access is audited.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from flask import Response, request

from fhir_server.access import policy as access_policy
from fhir_server.auth import login as login_flow
from fhir_server.auth import pages
from fhir_server.auth import scopes as smart_scopes
from fhir_server.auth.app_launch import issue_code, resolve_launch, stored_request
from fhir_server.auth.tokens import Authorization

if TYPE_CHECKING:
    from fhir_server.auth.accounts import User
    from fhir_server.auth.server import AuthService

MHI = "https://emc.mos.ru/fhir/sid/mhi"
#: What a wildcard scope means on the consent screen: the sections of the card
#: (docs/architecture.md, "The card as FHIR").
CARD_TYPES = {
    "Patient": "Личные данные · Demographics",
    "Encounter": "Приёмы и госпитализации · Visits and stays",
    "Composition": "Протоколы и выписки · Protocols and discharge summaries",
    "Condition": "Диагнозы · Diagnoses",
    "Observation": "Анализы и наблюдения · Results and observations",
    "DiagnosticReport": "Заключения исследований · Diagnostic reports",
    "ImagingStudy": "Лучевая диагностика · Imaging studies",
    "MedicationRequest": "Рецепты · Prescriptions",
    "Coverage": "Полисы и льготы · Coverage",
    "ServiceRequest": "Направления · Referrals",
    "Appointment": "Записи на приём · Appointments",
    "Immunization": "Прививки · Immunizations",
    "AllergyIntolerance": "Аллергии · Allergies",
    "Procedure": "Процедуры · Procedures",
    "DocumentReference": "Документы · Documents",
    "ExplanationOfBenefit": "Услуги и их стоимость · Services and cost",
    "FamilyMemberHistory": "Семейный анамнез · Family history",
    "RelatedPerson": "Представители · Related persons",
    "Consent": "Согласия · Consents",
    "AuditEvent": "Журнал доступа к карте · Who accessed the card",
    "Practitioner": "Врачи · Practitioners",
    "Organization": "Медицинские организации · Organizations",
}
CARE_LIST_LIMIT = 50
NO_CARE_RELATIONSHIP = ("Без лечащих отношений доступ возможен только в экстренном случае: укажите пациента и "
                        "отметьте экстренный доступ. Without a care relationship, name the patient and declare "
                        "emergency treatment.")
NO_SUCH_PATIENT = "Пациент не найден. No such patient."


def patient_label(service: AuthService, patient_id: str) -> str:
    doc = service.resources.current("Patient", patient_id)
    resource = (doc or {}).get("res") or {}
    names = resource.get("name") or [{}]
    name = names[0] if isinstance(names[0], dict) else {}
    text = name.get("text") or " ".join([*(name.get("given") or []), name.get("family") or ""]).strip()
    born = resource.get("birthDate")
    return f"{text or 'Patient/' + patient_id}" + (f", {born}" if born else "")


def find_patient(service: AuthService, text: str) -> str | None:
    """A Patient by id or by MHI policy number."""
    text = text.strip()
    if not text:
        return None
    doc = service.resources.current("Patient", text)
    if doc and not doc.get("del"):
        return text
    found = service.resources.find({"t": "Patient", "i": {"$elemMatch": {"p": "identifier", "v": text, "s": MHI}}},
                                   limit=2, projection={"id": 1})
    return found[0]["id"] if len(found) == 1 else None


def listed_types(scope: str) -> list[str]:
    types: list[str] = []
    for name in smart_scopes.Scopes(scope).resource_types():
        types.extend(CARD_TYPES if name == "*" else [name])
    return list(dict.fromkeys(types))


def screen(service: AuthService) -> Response:
    login = login_flow.current(service, "consent")
    if login is None:
        return login_flow.expired()
    kept = stored_request(service, login["request"])
    user = service.accounts.get(login["user"])
    client = service.clients.get((kept or {}).get("client_id"))
    if kept is None or user is None or client is None:
        return login_flow.finish(service, login, login_flow.expired())
    params = kept["params"]
    requested = client.get_allowed_scope(params.get("scope")) or ""
    launch = resolve_launch(service, params["launch"], client.client_id, login["request"]) if params.get("launch") \
        else None
    view = _view(service, user, requested, launch)
    context = {"action": service.endpoint("consent"), "csrf": login["csrf"], "client_name": client.name,
               "user_name": user.name or user.username, "scope": requested,
               "types": [(t, CARD_TYPES.get(t, t)) for t in listed_types(requested)], **view}
    if request.method == "GET":
        return pages.page("consent.html", **context)
    if request.form.get("decision") != "allow":
        return login_flow.finish(service, login, issue_code(service, login["request"], None))
    try:
        authorization = _decide(service, user, requested, launch, view, login)
    except ValueError as problem:
        return pages.page("consent.html", status=400, error=str(problem), **context)
    return login_flow.finish(service, login, issue_code(service, login["request"], authorization))


def _view(service: AuthService, user: User, requested: str, launch: dict[str, Any] | None) -> dict[str, Any]:
    """What the screen offers this user: fixed patient, choices, free entry, emergency box."""
    wants_patient = "launch/patient" in smart_scopes.Scopes(requested) or any(
        s.context == "patient" for s in smart_scopes.Scopes(requested).resource)
    view: dict[str, Any] = {"choices": [], "patient_entry": False, "emergency": False, "emergency_required": False,
                            "fixed_patient": None}
    if user.role == "patient":
        own = (user.fhir_user or "").removeprefix("Patient/")
        view["fixed_patient"] = patient_label(service, own)
    elif user.role == "guardian":
        children = access_policy.eligible_children(service.resources, user.links)
        view["choices"] = [(child, patient_label(service, child)) for _, child in children]
    elif launch is not None:
        view["fixed_patient"] = patient_label(service, launch["patient"])
        view["emergency"] = True
        view["emergency_required"] = user.role == "ambulance"
    elif user.role == "clinician" and wants_patient:
        practitioner = (user.fhir_user or "").removeprefix("Practitioner/")
        care = sorted(access_policy.care_patients(service.resources, practitioner))[:CARE_LIST_LIMIT]
        view["choices"] = [(p, patient_label(service, p)) for p in care]
        view.update(patient_entry=True, emergency=True)
    elif user.role == "ambulance":
        view.update(patient_entry=True, emergency=True, emergency_required=True)
    return view


def _decide(service: AuthService, user: User, requested: str, launch: dict[str, Any] | None,
            view: dict[str, Any], login: dict[str, Any]) -> Authorization:
    form = request.form
    fhir_user, patient, encounter, purpose, reason = user.fhir_user, None, None, None, None
    emergency = form.get("emergency") == "yes"
    if user.role == "patient":
        patient = (user.fhir_user or "").removeprefix("Patient/")
    elif user.role == "guardian":
        children = dict((child, link) for link, child in access_policy.eligible_children(service.resources, user.links))
        if not children:
            raise ValueError("Нет детей младше 15 лет с подтверждённым родством. "
                             "There is no child under 15 with a verified link to you.")
        patient = str(form.get("patient") or next(iter(children)))
        if patient not in children:
            raise ValueError("Выберите ребёнка из списка. Choose a child from the list.")
        fhir_user = f"RelatedPerson/{children[patient]}"
    else:
        if launch is not None:
            patient, encounter = launch["patient"], launch.get("encounter")
        elif view["choices"] or view["patient_entry"]:
            named = str(form.get("patient_lookup") or "").strip() or str(form.get("patient") or "").strip()
            patient = find_patient(service, named) if named else None
            if named and patient is None:
                # Without an emergency, an unknown patient is answered like one out of care: the
                # screen must not tell who exists. With one, the clinician may open any card anyway.
                raise ValueError(NO_SUCH_PATIENT if emergency else NO_CARE_RELATIONSHIP)
        practitioner = (user.fhir_user or "").removeprefix("Practitioner/")
        in_care = user.role == "clinician" and patient in access_policy.care_patients(service.resources, practitioner)
        wants_patient = launch is not None or "launch/patient" in smart_scopes.Scopes(requested) or any(
            s.context == "patient" for s in smart_scopes.Scopes(requested).resource)
        if (user.role == "ambulance" and wants_patient) or (patient and not in_care):
            if not (emergency and patient):
                raise ValueError(NO_CARE_RELATIONSHIP)
        if emergency and patient:
            purpose = "ETREAT" if user.role == "ambulance" else "BTG"
            reason = str(form.get("reason") or "").strip()[:500] or None
    unticked = set(listed_types(requested)) - set(form.getlist("type"))
    scope = granted_scope(requested, patient, encounter, launch is not None, purpose is not None, unticked)
    return Authorization(subject=user.username, role=user.role, fhir_user=fhir_user, patient=patient,
                         encounter=encounter, purpose=purpose, reason=reason, scope=scope,
                         nonce=stored_nonce(service, login), auth_time=login.get("auth_time"), family=uuid.uuid4().hex)


def stored_nonce(service: AuthService, login: dict[str, Any]) -> str | None:
    kept = stored_request(service, login["request"]) or {}
    nonce = (kept.get("params") or {}).get("nonce")
    return str(nonce) if nonce else None


def granted_scope(requested: str, patient: str | None, encounter: str | None, launched: bool, emergency: bool,
                  unticked: set[str]) -> str:
    """The scopes a user login can carry, given the context chosen and the boxes left ticked."""
    kept: list[str] = []
    for name in smart_scopes.Scopes(requested).names:
        parsed = smart_scopes.parse_resource_scope(name)
        if parsed is not None:
            if parsed.context == "system" or (parsed.context == "patient" and not patient):
                continue
        elif name == "launch/patient" and not patient:
            continue
        elif name == "launch/encounter" and not encounter:
            continue
        elif name == "launch" and not launched:
            continue
        elif emergency and name in ("offline_access", "online_access"):
            continue
        kept.append(name)
    scope = smart_scopes.without_types(" ".join(kept), unticked, list(CARD_TYPES))
    return smart_scopes.read_only(scope) if emergency else scope
