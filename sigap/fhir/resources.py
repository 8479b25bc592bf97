"""SIGAP records as FHIR R4 resources, built and validated with `fhir.resources`.

Public builders, one per kind of record, shared by the REST interface (`views.py`) and the
SATUSEHAT submission client. fhir.resources 8 ships R5 at its top level; its `R4B` package
is used because R4B's models of these resources match R4 (4.0.1), which SATUSEHAT speaks.

The builders take model instances and only read them (no queries beyond the relations the
caller selected), so that callers decide scoping and prefetching. Every id and reference
uses the record's public UUID, never the database key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fhir.resources.R4B.address import Address
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.location import Location, LocationPosition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from sigap.facilities.models import Facility

FHIR_VERSION = "4.0.1"

# SIGAP's own URLs: a stable base that names definitions, never a server address (it must
# not change with a deployment's host name, or stored resources stop matching).
SIGAP_BASE = "https://fhir.sigap.id"
EXT_FREE_BEDS = f"{SIGAP_BASE}/StructureDefinition/free-beds"
EXT_TOTAL_BEDS = f"{SIGAP_BASE}/StructureDefinition/total-beds"
EXT_REPORTED_AT = f"{SIGAP_BASE}/StructureDefinition/beds-reported-at"
CS_BED_CLASS = f"{SIGAP_BASE}/CodeSystem/bed-class"  # BPJS Aplicare kodekelas
CS_FACILITY_KIND = f"{SIGAP_BASE}/CodeSystem/facility-kind"
CS_FACILITY_SERVICE = f"{SIGAP_BASE}/CodeSystem/facility-service"
CS_REFERRAL_STATUS = f"{SIGAP_BASE}/CodeSystem/referral-status"
CS_HANDOFF_STATUS = f"{SIGAP_BASE}/CodeSystem/handoff-status"
CS_GROWTH_ZSCORE = f"{SIGAP_BASE}/CodeSystem/growth-zscore"  # haz, waz, whz (WHO 2006)
SYS_KEMENKES_CODE = f"{SIGAP_BASE}/id/kode-faskes-kemenkes"
SYS_BPJS_KODEPPK = f"{SIGAP_BASE}/id/bpjs-kodeppk"
SYS_ROOM_CODE = f"{SIGAP_BASE}/id/koderuang"
SYS_REFERRAL_NUMBER = f"{SIGAP_BASE}/id/nomor-rujukan"
SYS_INCIDENT_NUMBER = f"{SIGAP_BASE}/id/nomor-kejadian"

# National and HL7 systems
SYS_NIK = "https://fhir.kemkes.go.id/id/nik"
EXT_ADMINISTRATIVE_CODE = "https://fhir.kemkes.go.id/r4/StructureDefinition/administrativeCode"
EXT_SERVICE_CLASS = "https://fhir.kemkes.go.id/r4/StructureDefinition/LocationServiceClass"
CS_SERVICE_CLASS = "http://terminology.kemkes.go.id/CodeSystem/locationServiceClass-Inpatient"
CS_ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
CS_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
CS_BED_STATUS = "http://terminology.hl7.org/CodeSystem/v2-0116"
CS_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CS_ACT_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
CS_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SYS_LOINC = "http://loinc.org"
SYS_SNOMED = "http://snomed.info/sct"
SYS_ICD10 = "http://hl7.org/fhir/sid/icd-10"
SYS_UCUM = "http://unitsofmeasure.org"

# Aplicare kodekelas -> SATUSEHAT inpatient service class (the others have none)
SERVICE_CLASS = {"KL1": "1", "KL2": "2", "KL3": "3", "VIP": "vip", "VVP": "vvip"}
SERVICE_CLASS_NAMES = {"1": "Kelas 1", "2": "Kelas 2", "3": "Kelas 3", "vip": "VIP", "vvip": "VVIP"}

# Patient ids name their source: a child of the nutrition register, a referral's patient.
PATIENT_CHILD = "anak-"
PATIENT_REFERRAL = "rujukan-"

# Measurement field -> (id suffix, code system, code, display, UCUM unit)
WEIGHT = ("weight", SYS_LOINC, "29463-7", "Body weight", "kg")
BODY_LENGTH = ("length", SYS_LOINC, "8306-3", "Body height --lying", "cm")
BODY_HEIGHT = ("length", SYS_LOINC, "8302-2", "Body height", "cm")
MUAC = ("muac", SYS_LOINC, "56072-2", "Circumference Mid upper arm", "cm")
ZSCORES = {
    "haz": ("haz", CS_GROWTH_ZSCORE, "haz", "Length/height-for-age z-score (WHO 2006)"),
    "waz": ("waz", CS_GROWTH_ZSCORE, "waz", "Weight-for-age z-score (WHO 2006)"),
    "whz": ("whz", CS_GROWTH_ZSCORE, "whz", "Weight-for-length/height z-score (WHO 2006)"),
}
OBSERVATION_KINDS = ("weight", "length", "muac", "haz", "waz", "whz")
LYING_BELOW_DAYS = 731  # WHO: under 731 days a child is measured lying (length)

# SIGAP referral status -> FHIR Task.status; ServiceRequest.status follows from it.
TASK_STATUS = {
    "sent": "requested",
    "escalated": "requested",
    "accepted": "accepted",
    "arrived": "in-progress",
    "closed": "completed",
    "rejected": "rejected",
    "cancelled": "cancelled",
    "expired": "failed",
}
REQUEST_STATUS = {
    "sent": "active",
    "escalated": "active",
    "accepted": "active",
    "arrived": "active",
    "closed": "completed",
    "rejected": "revoked",
    "cancelled": "revoked",
    "expired": "revoked",
}
# Emergency hand-off status -> Encounter.status (the hand-off ends when the patient arrives)
ENCOUNTER_STATUS = {
    "pending": "planned",
    "acknowledged": "planned",
    "arrived": "arrived",
    "cancelled": "cancelled",
    "rejected": "cancelled",
}
TRIAGE_PRIORITY = {
    "merah": ("EM", "emergency"),
    "kuning": ("UR", "urgent"),
    "hijau": ("R", "routine"),
}


# --- small parts ------------------------------------------------------------------------


def coding(system: str, code: str, display: str | None = None) -> Coding:
    return Coding(system=system, code=code, display=display or None)


def concept(system: str, code: str, display: str | None = None) -> CodeableConcept:
    return CodeableConcept(coding=[coding(system, code, display)], text=display or None)


def reference(resource_type: str, resource_id: Any, display: str | None = None) -> Reference:
    return Reference(reference=f"{resource_type}/{resource_id}", display=display or None)


def organization_reference(facility: Facility) -> Reference:
    return reference("Organization", facility.public_id, facility.name)


def _identifier(system: str, value: str) -> Identifier:
    return Identifier(system=system, value=value)


def _instant(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _region_chain(village: Any) -> list[Any]:
    """The village and its parents, village first (province last); stops at a missing one."""
    chain = []
    region = village
    while region is not None and len(chain) < 4:
        chain.append(region)
        region = region.parent
    return chain


def address_of(village: Any, line: str = "", use: str = "work") -> Address:
    """A postal address with SATUSEHAT's administrativeCode extension (Kemendagri codes)."""
    by_level = {len(r.code): r for r in _region_chain(village)} if village is not None else {}
    names = {"province": 2, "city": 4, "district": 6, "village": 10}
    codes = [
        Extension(url=part, valueCode=by_level[n].code)
        for part, n in names.items()
        if n in by_level
    ]
    return Address(
        use=use,
        line=[line] if line else None,
        city=by_level[4].name if 4 in by_level else None,
        district=by_level[6].name if 6 in by_level else None,
        state=by_level[2].name if 2 in by_level else None,
        postalCode=(village.postal_code or None) if village is not None else None,
        country="ID",
        extension=[Extension(url=EXT_ADMINISTRATIVE_CODE, extension=codes)] if codes else None,
    )


def _telecom(*phones: tuple[str, str]) -> list[ContactPoint] | None:
    points = [ContactPoint(system="phone", value=v, use=use) for v, use in phones if v]
    return points or None


# --- public resources: facilities, rooms, services ----------------------------------------


def organization(facility: Facility) -> Organization:
    """A facility, with its Kemenkes and BPJS codes. Select `kind`, `parent` and the village
    with its parents (`village__parent__parent__parent`) beforehand."""
    identifiers = []
    if facility.kemenkes_code:
        identifiers.append(_identifier(SYS_KEMENKES_CODE, facility.kemenkes_code))
    if facility.bpjs_kodeppk:
        identifiers.append(_identifier(SYS_BPJS_KODEPPK, facility.bpjs_kodeppk))
    kind = facility.kind
    return Organization(
        id=str(facility.public_id),
        identifier=identifiers or None,
        active=facility.is_active,
        type=[
            CodeableConcept(
                coding=[
                    coding(CS_ORGANIZATION_TYPE, "prov", "Healthcare Provider"),
                    coding(CS_FACILITY_KIND, kind.code, kind.name),
                ],
                text=kind.name,
            )
        ],
        name=facility.name,
        telecom=_telecom((facility.phone, "work"), (facility.emergency_phone, "mobile")),
        address=[address_of(facility.village, facility.address)],
        partOf=organization_reference(facility.parent) if facility.parent_id else None,
    )


def room_status(free: int, capacity: int) -> Coding:
    """HL7 bed status of a room as a whole: closed without beds, unoccupied while at least
    one bed is free, occupied otherwise."""
    if capacity <= 0:
        return coding(CS_BED_STATUS, "C", "Closed")
    if free > 0:
        return coding(CS_BED_STATUS, "U", "Unoccupied")
    return coding(CS_BED_STATUS, "O", "Occupied")


def location(room: Any) -> Location:
    """A hospital room of one bed class (an Aplicare `ruang`) with its free and total beds.
    Select `facility` (with its village chain) and `bed_class` beforehand."""
    facility = room.facility
    bed_class = room.bed_class
    extensions = [
        Extension(url=EXT_FREE_BEDS, valueInteger=room.free),
        Extension(url=EXT_TOTAL_BEDS, valueInteger=room.capacity),
        Extension(url=EXT_REPORTED_AT, valueDateTime=_instant(room.reported_at)),
    ]
    service_class = SERVICE_CLASS.get(bed_class.code)
    if service_class:
        extensions.append(
            Extension(
                url=EXT_SERVICE_CLASS,
                valueCodeableConcept=concept(
                    CS_SERVICE_CLASS, service_class, SERVICE_CLASS_NAMES[service_class]
                ),
            )
        )
    return Location(
        id=str(room.public_id),
        extension=extensions,
        identifier=[_identifier(SYS_ROOM_CODE, room.code)],
        status="active" if facility.is_active else "inactive",
        operationalStatus=room_status(room.free, room.capacity),
        name=f"{room.name} ({bed_class.name})",
        alias=[room.code],
        mode="instance",
        type=[concept(CS_BED_CLASS, bed_class.code, bed_class.name)],
        physicalType=concept(CS_PHYSICAL_TYPE, "ro", "Room"),
        address=address_of(facility.village, facility.address),
        position=LocationPosition(latitude=facility.latitude, longitude=facility.longitude),
        managingOrganization=organization_reference(facility),
    )


def healthcare_service_id(facility: Facility, service_code: str) -> str:
    """`<facility uuid>.<service code>`; FHIR ids allow no underscore, so it becomes '-'."""
    return f"{facility.public_id}.{service_code.replace('_', '-')}"


def healthcare_service(facility: Facility, service: Any) -> HealthcareService:
    """One service (IGD, ICU, obstetri, ...) that a facility offers."""
    return HealthcareService(
        id=healthcare_service_id(facility, service.code),
        active=facility.is_active,
        providedBy=organization_reference(facility),
        type=[concept(CS_FACILITY_SERVICE, service.code, service.name)],
        name=f"{service.name} - {facility.name}",
        telecom=_telecom((facility.emergency_phone, "mobile"), (facility.phone, "work")),
    )


# --- personal data: for authorised clients only ---------------------------------------------


def _gender(sex: str) -> str:
    return {"L": "male", "P": "female"}.get(sex or "", "unknown")


def _nik_identifier(nik: str) -> list[Identifier] | None:
    return [Identifier(use="official", system=SYS_NIK, value=nik)] if nik else None


def child_patient_id(child: Any) -> str:
    return f"{PATIENT_CHILD}{child.public_id}"


def referral_patient_id(referral: Any) -> str:
    return f"{PATIENT_REFERRAL}{referral.public_id}"


def child_patient(child: Any) -> Patient:
    """A child of the nutrition register (select the kelurahan with its parents)."""
    return Patient(
        id=child_patient_id(child),
        identifier=_nik_identifier(child.nik),
        active=True,
        name=[HumanName(use="official", text=child.name)],
        gender=_gender(child.sex),
        birthDate=child.birth_date,
        address=[address_of(child.kelurahan, child.address, use="home")],
    )


def referral_patient(referral: Any) -> Patient:
    """The patient named in a referral (SISRUTE `PASIEN`)."""
    return Patient(
        id=referral_patient_id(referral),
        identifier=_nik_identifier(referral.patient_nik),
        active=True,
        name=[HumanName(use="official", text=referral.patient_name)],
        gender=_gender(referral.patient_sex),
        birthDate=referral.patient_birth_date,
        telecom=_telecom((referral.patient_contact, "mobile")),
        address=[Address(text=referral.patient_address)] if referral.patient_address else None,
    )


def _referral_reason(referral: Any) -> list[CodeableConcept]:
    return [concept(SYS_ICD10, referral.diagnosis_code, referral.diagnosis_name)]


def _referral_requester(referral: Any) -> Reference:
    if referral.sender_id:
        return organization_reference(referral.sender)
    return Reference(display=referral.sender_label)


def service_request(referral: Any) -> ServiceRequest:
    """A referral as the request for care at the receiving facility. Select `sender`,
    `receiver`, `service` beforehand."""
    code = (
        concept(CS_FACILITY_SERVICE, referral.service.code, referral.service.name)
        if referral.service_id
        else concept(SYS_SNOMED, "3457005", "Patient referral")
    )
    return ServiceRequest(
        id=str(referral.public_id),
        identifier=[_identifier(SYS_REFERRAL_NUMBER, referral.number)],
        status=REQUEST_STATUS[referral.status],
        intent="order",
        category=[concept(SYS_SNOMED, "3457005", "Patient referral")],
        priority="stat" if referral.urgency == "emergency" else "routine",
        code=code,
        subject=reference("Patient", referral_patient_id(referral)),
        authoredOn=_instant(referral.created_at),
        requester=_referral_requester(referral),
        performer=[organization_reference(referral.receiver)],
        reasonCode=_referral_reason(referral),
    )


def task(referral: Any) -> Task:
    """The referral's workflow: who must act on it and where it stands (Task.status from
    SIGAP's referral status, the exact SIGAP status as businessStatus)."""
    status_label = str(referral.get_status_display())
    return Task(
        id=str(referral.public_id),
        identifier=[_identifier(SYS_REFERRAL_NUMBER, referral.number)],
        basedOn=[reference("ServiceRequest", referral.public_id)],
        status=TASK_STATUS[referral.status],
        statusReason=CodeableConcept(text=referral.answer_note) if referral.answer_note else None,
        businessStatus=concept(CS_REFERRAL_STATUS, referral.status, status_label),
        intent="order",
        priority="stat" if referral.urgency == "emergency" else "routine",
        focus=reference("ServiceRequest", referral.public_id),
        for_fhir=reference("Patient", referral_patient_id(referral)),
        authoredOn=_instant(referral.created_at),
        lastModified=_instant(referral.status_changed_at),
        requester=_referral_requester(referral),
        owner=organization_reference(referral.receiver),
    )


def encounter(handoff: Any) -> Encounter:
    """An emergency hand-off (PSC 119 ambulance -> hospital IGD). Select `incident`,
    `hospital`, `referral` beforehand. No patient identity is kept for an emergency call, so
    the Encounter has no subject."""
    incident = handoff.incident
    priority = TRIAGE_PRIORITY.get(incident.triage)
    return Encounter(
        id=str(handoff.public_id),
        identifier=[_identifier(SYS_INCIDENT_NUMBER, incident.number)],
        status=ENCOUNTER_STATUS[handoff.status],
        class_fhir=coding(CS_ACT_CODE, "EMER", "emergency"),
        type=[concept(CS_HANDOFF_STATUS, handoff.status, str(handoff.get_status_display()))],
        priority=concept(CS_ACT_PRIORITY, *priority) if priority else None,
        basedOn=[reference("ServiceRequest", handoff.referral.public_id)]
        if handoff.referral_id
        else None,
        period=Period(start=_instant(handoff.created_at), end=_instant(handoff.arrived_at)),
        reasonCode=[CodeableConcept(text=handoff.patient_summary)]
        if handoff.patient_summary
        else None,
        serviceProvider=organization_reference(handoff.hospital),
    )


def _length_kind(measurement: Any) -> tuple:
    lying = measurement.position == "L" or (
        not measurement.position and measurement.age_days < LYING_BELOW_DAYS
    )
    return BODY_LENGTH if lying else BODY_HEIGHT


def observation_kinds(measurement: Any) -> list[str]:
    """The Observation kinds a measurement yields, in OBSERVATION_KINDS order."""
    values = {
        "weight": measurement.weight_kg,
        "length": measurement.length_cm,
        "muac": measurement.muac_cm,
        "haz": measurement.haz,
        "waz": measurement.waz,
        "whz": measurement.whz,
    }
    return [kind for kind in OBSERVATION_KINDS if values[kind] is not None]


def observation_id(measurement: Any, kind: str) -> str:
    return f"{measurement.public_id}.{kind}"


def observation(measurement: Any, kind: str) -> Observation:
    """One value of a child's measurement as an Observation: weight, length/height, MUAC
    (LOINC, UCUM units) or a WHO z-score (SIGAP's growth-zscore codes, unit `{Z-score}`,
    derived from the weight and length Observations of the same measurement)."""
    child = measurement.child
    common: dict[str, Any] = {
        "id": observation_id(measurement, kind),
        "status": "final",
        "subject": reference("Patient", child_patient_id(child)),
        "effectiveDateTime": measurement.measured_on,
        "performer": [organization_reference(measurement.posyandu)]
        if measurement.posyandu_id
        else None,
    }
    if kind in ZSCORES:
        _, system, code, display = ZSCORES[kind]
        used = {"haz": ("length",), "waz": ("weight",), "whz": ("weight", "length")}[kind]
        inputs = [k for k in used if k in observation_kinds(measurement)]
        return Observation(
            **common,
            category=[concept(CS_OBSERVATION_CATEGORY, "exam", "Exam")],
            code=concept(system, code, display),
            valueQuantity=Quantity(
                value=round(getattr(measurement, kind), 2),
                unit="z-score",
                system=SYS_UCUM,
                code="{Z-score}",
            ),
            derivedFrom=[reference("Observation", observation_id(measurement, k)) for k in inputs]
            or None,
        )
    spec = {"weight": WEIGHT, "muac": MUAC}.get(kind) or _length_kind(measurement)
    field = {"weight": "weight_kg", "length": "length_cm", "muac": "muac_cm"}[kind]
    _, system, code, display, unit = spec
    return Observation(
        **common,
        category=[concept(CS_OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
        code=concept(system, code, display),
        valueQuantity=Quantity(
            value=getattr(measurement, field), unit=unit, system=SYS_UCUM, code=unit
        ),
    )


def observations(measurement: Any) -> list[Observation]:
    """Every Observation of one measurement."""
    return [observation(measurement, kind) for kind in observation_kinds(measurement)]
