"""The resources the mappers do not cover, built as FHIR directly: the full Patient with address,
phone and attached clinic, guardian RelatedPersons, organisations and staff, the problem list,
allergies, prescriptions and vaccinations.

Each is a conditional create on a business identifier (:mod:`mappers.bundle`), with the same
deterministic ``urn:uuid`` full URLs the mappers give, so a Patient added here and the minimal
Patient a mapped lab message carries are one entry once merged (the first, fuller one wins).

The Patient, the guardian RelatedPerson and the problem-list Condition claim their EMC profiles
(``emc-patient``, ``emc-guardian``, ``emc-condition``); the other types have none.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from mappers import emc_profiles as profiles
from mappers import identifiers as ids
from mappers import terminology as t
from mappers.bundle import TransactionBuilder, full_url, identifier, reference
from mappers.resources import Person as Name

from . import identifiers as sid
from .events import Allergy, ChronicCondition, Prescription, Vaccination
from .moscow import ORGANIZATIONS, Doctor, Organization, staff
from .people import Person

ATC = "http://www.whocc.no/atc"
CVX = "http://hl7.org/fhir/sid/cvx"
ROLE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
LONG_TERM = ("continuous", "Continuous long term therapy")
COURSE = ("acute", "Short course (acute) therapy")
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"


def patient_url(person: Person) -> str:
    return full_url("Patient", ids.MHI, person.mhi)


def org_url(code: str) -> str:
    return full_url("Organization", ids.LAB if ORGANIZATIONS[code].kind == "lab" else ids.CLINIC, code)


def organization(tx: TransactionBuilder, org: Organization) -> str:
    system = ids.LAB if org.kind == "lab" else ids.CLINIC
    return tx.share({
        "resourceType": "Organization", "identifier": [identifier(system, org.code)], "active": True,
        "type": [t.concept(ORG_TYPE, "prov", "Healthcare Provider")],
        "name": org.name,
        "address": [{"use": "work", "city": "Москва", "district": org.district, "country": "RU"}],
    }, system, org.code)


def practitioner(tx: TransactionBuilder, doc: Doctor) -> str:
    name = Name(doc.family, doc.given, doc.patronymic)
    return tx.share({"resourceType": "Practitioner", "identifier": [identifier(ids.SNILS, doc.snils)],
                     "active": True, "name": [name.human_name()], "gender": doc.sex}, ids.SNILS, doc.snils)


def reference_data(tx: TransactionBuilder) -> None:
    """Every organisation and its staff: loaded first, so parallel loaders only ever find them."""
    for org in ORGANIZATIONS.values():
        organization(tx, org)
        if org.kind != "lab":
            for doc in staff(org.code):
                practitioner(tx, doc)


def patient(tx: TransactionBuilder, person: Person, until: date) -> str:
    clinic = person.clinic(until)
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "meta": {"profile": [profiles.PATIENT]},
        "identifier": [identifier(ids.MHI, person.mhi), identifier(ids.SNILS, person.snils)],
        "active": True,
        "name": [Name(person.family, person.given, person.patronymic).human_name()],
        "gender": person.sex,
        "birthDate": person.birth.isoformat(),
        "address": [{"use": "home", "type": "physical", "text": f"г. Москва, {person.address.line}",
                     "line": [person.address.line], "city": "Москва", "district": person.address.district.name,
                     "postalCode": person.address.district.postal_code, "country": "RU"}],
        "generalPractitioner": [reference(full_url("Practitioner", ids.SNILS, staff(clinic)[0].snils))],
        "managingOrganization": reference(org_url(clinic)),
    }
    if person.age(until) >= 14:
        resource["telecom"] = [{"system": "phone", "value": person.phone, "use": "mobile"}]
    return tx.share(resource, ids.MHI, person.mhi)


def guardian(tx: TransactionBuilder, child: Person, parent: Person, verified: bool) -> str:
    """The parent's guardian link; one whose kinship is not verified yet is inactive (emc-grd-1)."""
    mother = parent.sex == "female"
    value = f"{child.mhi}/{parent.mhi}"
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "meta": {"profile": [profiles.GUARDIAN]},
        "extension": [{"url": sid.KINSHIP_VERIFIED, "valueBoolean": verified}],
        "identifier": [identifier(sid.GUARDIAN, value), identifier(ids.SNILS, parent.snils)],
        "active": verified,
        "patient": reference(patient_url(child)),
        "relationship": [t.concept(ROLE, "MTH" if mother else "FTH", "mother" if mother else "father"),
                         t.concept(ROLE, "GUARD", "guardian")],
        "name": [Name(parent.family, parent.given, parent.patronymic).human_name()],
        "telecom": [{"system": "phone", "value": parent.phone, "use": "mobile"}],
        "gender": parent.sex,
        "birthDate": parent.birth.isoformat(),
        "period": {"start": child.birth.isoformat()},
    }
    return tx.add(resource, sid.GUARDIAN, value)


def problem(tx: TransactionBuilder, person: Person, condition: ChronicCondition) -> None:
    value = f"{person.mhi}/{condition.icd10}"
    tx.add({
        "resourceType": "Condition",
        "meta": {"profile": [profiles.CONDITION]},
        "identifier": [identifier(sid.PROBLEM, value)],
        "clinicalStatus": t.concept(t.CONDITION_CLINICAL, "active", "Active"),
        "verificationStatus": t.concept(t.CONDITION_VERIFICATION, "confirmed", "Confirmed"),
        "category": [t.concept(t.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
        "code": {"coding": [t.coding(t.ICD10, condition.icd10)], "text": condition.text},
        "subject": reference(patient_url(person)),
        "onsetDateTime": condition.onset.isoformat(),
        "recordedDate": max(condition.onset, date(2017, 1, 1)).isoformat(),
    }, sid.PROBLEM, value)


def allergy(tx: TransactionBuilder, person: Person, n: int, item: Allergy) -> None:
    a = item.allergen
    code: dict[str, Any] = {"text": a.text}
    if a.snomed:
        code["coding"] = [t.coding(t.SNOMED, a.snomed, a.display)]
    value = f"{person.mhi}/{n}"
    tx.add({
        "resourceType": "AllergyIntolerance",
        "identifier": [identifier(sid.ALLERGY, value)],
        "clinicalStatus": t.concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                    "active", "Active"),
        "verificationStatus": t.concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                                        "confirmed", "Confirmed"),
        "type": "allergy",
        "category": [a.category],
        "criticality": "high" if a.reaction in ("Анафилаксия", "Бронхоспазм", "Ангионевротический отёк") else "low",
        "code": code,
        "patient": reference(patient_url(person)),
        "recordedDate": item.recorded.isoformat(),
        "reaction": [{"manifestation": [{"text": a.reaction}]}],
    }, sid.ALLERGY, value)


def prescription(tx: TransactionBuilder, person: Person, rx: Prescription, until: date) -> None:
    value = f"{rx.clinic}/{rx.number}"
    ends = rx.day + timedelta(days=rx.drug.days if not rx.chronic else 90)
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "identifier": [identifier(sid.PRESCRIPTION, value)],
        "status": "active" if ends >= until else "completed",
        "intent": "order",
        "category": [t.concept("http://terminology.hl7.org/CodeSystem/medicationrequest-category", "community",
                               "Community")],
        "medicationCodeableConcept": {"coding": [t.coding(ATC, rx.drug.atc)], "text": rx.drug.name},
        "subject": reference(patient_url(person)),
        "authoredOn": rx.day.isoformat(),
        "requester": reference(practitioner(tx, rx.doctor)),
        "courseOfTherapyType": t.concept(
            "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy",
            *(LONG_TERM if rx.chronic else COURSE)),
        "dosageInstruction": [{"text": rx.drug.dose,
                               "timing": {"repeat": {"frequency": rx.drug.per_day, "period": 1, "periodUnit": "d"}}}],
        "dispenseRequest": {"validityPeriod": {"start": rx.day.isoformat(), "end": ends.isoformat()}},
    }
    if rx.visit_id:
        resource["encounter"] = reference(full_url("Encounter", ids.VISIT, ids.scoped(rx.clinic, rx.visit_id)))
    tx.add(resource, sid.PRESCRIPTION, value)


def immunization(tx: TransactionBuilder, person: Person, v: Vaccination) -> None:
    value = f"{v.clinic}/{v.vaccination_id}"
    vaccine: dict[str, Any] = {"text": v.vaccine}
    if v.cvx:
        vaccine["coding"] = [t.coding(CVX, v.cvx)]
    tx.add({
        "resourceType": "Immunization",
        "identifier": [identifier(sid.IMMUNIZATION, value)],
        "status": "completed",
        "vaccineCode": vaccine,
        "patient": reference(patient_url(person)),
        "occurrenceDateTime": v.day.isoformat(),
        "primarySource": True,
        "lotNumber": v.lot,
        "performer": [{"actor": reference(org_url(v.clinic))}],
        "protocolApplied": [{"series": v.series, "doseNumberPositiveInt": v.dose}],
    }, sid.IMMUNIZATION, value)
