"""The resource types SIGAP serves at /fhir/: where each comes from, who may see it, and
what each search parameter filters. Other capabilities are read only through their
`selectors` (and published `services`), which carry their access rules."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sigap.beds import selectors as bed_selectors
from sigap.emergency import selectors as emergency_selectors
from sigap.facilities import services as facility_services
from sigap.facilities.models import Facility
from sigap.nutrition import selectors as nutrition_selectors
from sigap.referrals import selectors as referral_selectors

from . import resources as r
from .search import (
    NOTHING,
    Param,
    ResourceType,
    Source,
    as_uuid,
    invalid,
    reference_id,
    split_token,
    string_q,
    token_q,
)

# --- shared filters ---------------------------------------------------------------------


def _uuid_q(field: str, resource_type: str | None = None, prefix: str = ""):
    """A filter on a public UUID given as an id or a reference (`Type/<prefix><uuid>`)."""

    def build(value: str, modifier: str) -> Q:
        ref = reference_id(value, resource_type) if resource_type else value.strip()
        if prefix:
            if not ref.startswith(prefix):
                return NOTHING
            ref = ref[len(prefix) :]
        public_id = as_uuid(ref)
        return Q(**{field: public_id}) if public_id else NOTHING

    return build


def _area_q(village_field: str):
    """`address-city`: a city name (starts with, any case) or a Kemendagri region code
    (a prefix: 2 digits province, 4 kab/kota, 6 kecamatan, 10 kelurahan)."""

    def build(value: str, modifier: str) -> Q:
        value = value.strip()
        if value.isdigit():
            return (
                Q(**{f"{village_field}__code__startswith": value}) if len(value) <= 10 else NOTHING
            )
        return string_q(value, modifier, f"{village_field}__parent__parent__name")

    return build


def _status_q(mapping: dict[str, str], field: str = "status"):
    """A FHIR status token -> the SIGAP statuses that map to it."""

    def build(value: str, modifier: str) -> Q:
        code = split_token(value)[1]
        statuses = [ours for ours, theirs in mapping.items() if theirs == code]
        return Q(**{f"{field}__in": statuses}) if statuses else NOTHING

    return build


DATE_RE = re.compile(r"^(eq|ne|gt|lt|ge|le)?(\d{4}-\d{2}-\d{2})$")
DATE_LOOKUP = {"eq": "", "gt": "__gt", "lt": "__lt", "ge": "__gte", "le": "__lte"}


def _date_q(field: str):
    """A date parameter with FHIR's prefixes (eq, ne, gt, lt, ge, le) on a full date."""

    def build(value: str, modifier: str) -> Q:
        match = DATE_RE.match(value.strip())
        if not match:
            raise invalid(
                _("Tanggal harus berbentuk [eq|ne|gt|lt|ge|le]YYYY-MM-DD, bukan %(value)r")
                % {"value": value}
            )
        prefix, text = match.group(1) or "eq", match.group(2)
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise invalid(_("Tanggal tidak valid: %(date)s") % {"date": text}) from None
        if prefix == "ne":
            return ~Q(**{field: day})
        return Q(**{f"{field}{DATE_LOOKUP[prefix]}": day})

    return build


def _gender_q(field: str):
    def build(value: str, modifier: str) -> Q:
        sex = {"male": "L", "female": "P"}.get(split_token(value)[1])
        return Q(**{field: sex}) if sex else NOTHING

    return build


def _always(system: str, code: str):
    """A token that every row of the source has (or none does)."""

    def build(value: str, modifier: str) -> Q:
        asked_system, asked = split_token(value)
        return Q() if asked == code and asked_system in (None, system) else NOTHING

    return build


STRING = ("exact", "contains")
ID = Param("token", "Id sumber daya (UUID publik SIGAP)")

# --- Organization: facilities --------------------------------------------------------------


def _facilities(user: Any) -> QuerySet:
    return facility_services.public_facilities().select_related(
        "parent", "village__parent__parent__parent"
    )


def _organization_type(value: str, modifier: str) -> Q:
    system, code = split_token(value)
    if code == "prov" and system in (None, r.CS_ORGANIZATION_TYPE):
        return Q()
    if system in (None, r.CS_FACILITY_KIND):
        return (Q(kind_id=code) | Q(kind__satusehat_code=code)) if code else NOTHING
    return NOTHING


def _active(value: str, modifier: str) -> Q:
    # only active facilities are served
    return Q() if split_token(value)[1] == "true" else NOTHING


ORGANIZATION = ResourceType(
    name="Organization",
    params={
        "_id": ID,
        "identifier": Param(
            "token",
            f"Kode Kemenkes ({r.SYS_KEMENKES_CODE}) atau kode PPK BPJS ({r.SYS_BPJS_KODEPPK})",
        ),
        "name": Param("string", "Nama fasilitas (awalan; :exact, :contains)", STRING),
        "type": Param("token", f"Jenis fasilitas ({r.CS_FACILITY_KIND}: rs, puskesmas, ...)"),
        "partof": Param("reference", "Puskesmas induk (untuk Pustu)"),
        "address-city": Param(
            "string", "Nama kab/kota, atau kode wilayah Kemendagri (awalan)", STRING
        ),
        "active": Param("token", "true (hanya fasilitas aktif yang disajikan)"),
    },
    sources=[
        Source(
            query=_facilities,
            build=r.organization,
            filters={
                "_id": _uuid_q("public_id"),
                "identifier": lambda v, m: token_q(
                    v, {r.SYS_KEMENKES_CODE: "kemenkes_code", r.SYS_BPJS_KODEPPK: "bpjs_kodeppk"}
                ),
                "name": lambda v, m: string_q(v, m, "name"),
                "type": _organization_type,
                "partof": _uuid_q("parent__public_id", "Organization"),
                "address-city": _area_q("village"),
                "active": _active,
            },
        )
    ],
)

# --- Location: hospital rooms -----------------------------------------------------------------

ROOM_STATUS = {
    "U": Q(capacity__gt=0, free__gt=0),
    "O": Q(capacity__gt=0, free=0),
    "C": Q(capacity=0),
}


def _room_status(value: str, modifier: str) -> Q:
    system, code = split_token(value)
    if system not in (None, r.CS_BED_STATUS):
        return NOTHING
    return ROOM_STATUS.get(code, NOTHING)


LOCATION = ResourceType(
    name="Location",
    params={
        "_id": ID,
        "identifier": Param("token", f"Kode ruang Aplicare ({r.SYS_ROOM_CODE})"),
        "name": Param("string", "Nama ruang (awalan; :exact, :contains)", STRING),
        "type": Param("token", f"Kelas tempat tidur, kodekelas Aplicare ({r.CS_BED_CLASS})"),
        "organization": Param("reference", "Rumah sakit (Organization)"),
        "operational-status": Param(
            "token", "U ada tempat tidur kosong, O penuh, C tanpa tempat tidur (v2-0116)"
        ),
        "address-city": Param(
            "string", "Nama kab/kota, atau kode wilayah Kemendagri (awalan)", STRING
        ),
    },
    sources=[
        Source(
            query=lambda user: bed_selectors.rooms_of_active_facilities(),
            build=r.location,
            filters={
                "_id": _uuid_q("public_id"),
                "identifier": lambda v, m: token_q(v, {r.SYS_ROOM_CODE: "code"}),
                "name": lambda v, m: string_q(v, m, "name"),
                "type": lambda v, m: token_q(v, {r.CS_BED_CLASS: "bed_class_id"}),
                "organization": _uuid_q("facility__public_id", "Organization"),
                "operational-status": _room_status,
                "address-city": _area_q("facility__village"),
            },
        )
    ],
)

# --- HealthcareService: a facility's services -------------------------------------------------


def _offered(user: Any) -> QuerySet:
    return (
        Facility.services.through.objects.filter(facility__is_active=True)
        .select_related("facility", "service")
        .order_by("facility__name", "facility_id", "service__sort", "service_id")
    )


def _service_id(value: str, modifier: str) -> Q:
    facility_part, _sep, service_part = value.strip().partition(".")
    public_id = as_uuid(facility_part)
    if public_id is None or not service_part:
        return NOTHING
    return Q(facility__public_id=public_id, service_id=service_part.replace("-", "_"))


HEALTHCARE_SERVICE = ResourceType(
    name="HealthcareService",
    params={
        "_id": Param("token", "<UUID fasilitas>.<kode layanan>"),
        "name": Param("string", "Nama layanan (awalan; :exact, :contains)", STRING),
        "service-type": Param("token", f"Kode layanan ({r.CS_FACILITY_SERVICE}: igd, icu, ...)"),
        "organization": Param("reference", "Fasilitas (Organization)"),
    },
    sources=[
        Source(
            query=_offered,
            build=lambda row: r.healthcare_service(row.facility, row.service),
            filters={
                "_id": _service_id,
                "name": lambda v, m: string_q(v, m, "service__name"),
                "service-type": lambda v, m: token_q(v, {r.CS_FACILITY_SERVICE: "service_id"}),
                "organization": _uuid_q("facility__public_id", "Organization"),
            },
        )
    ],
)

# --- referrals: ServiceRequest and Task ---------------------------------------------------------


def _referrals(user: Any) -> QuerySet:
    return (
        referral_selectors.visible_referrals(user)
        .select_related("sender", "receiver", "service")
        .order_by("-created_at", "pk")
    )


REFERRAL_FILTERS = {
    "_id": _uuid_q("public_id"),
    "identifier": lambda v, m: token_q(v, {r.SYS_REFERRAL_NUMBER: "number"}),
    "patient": _uuid_q("public_id", "Patient", r.PATIENT_REFERRAL),
    "subject": _uuid_q("public_id", "Patient", r.PATIENT_REFERRAL),
    "requester": _uuid_q("sender__public_id", "Organization"),
}
REFERRAL_PARAMS = {
    "_id": ID,
    "identifier": Param("token", f"Nomor rujukan ({r.SYS_REFERRAL_NUMBER})"),
    "patient": Param("reference", "Pasien (Patient/rujukan-<UUID>)"),
    "subject": Param("reference", "Pasien (Patient/rujukan-<UUID>)"),
    "requester": Param("reference", "Fasilitas pengirim (Organization)"),
}

SERVICE_REQUEST = ResourceType(
    name="ServiceRequest",
    personal=True,
    params={
        **REFERRAL_PARAMS,
        "status": Param("token", "active, completed, revoked"),
        "performer": Param("reference", "Rumah sakit tujuan (Organization)"),
    },
    sources=[
        Source(
            query=_referrals,
            build=r.service_request,
            filters={
                **REFERRAL_FILTERS,
                "status": _status_q(r.REQUEST_STATUS),
                "performer": _uuid_q("receiver__public_id", "Organization"),
            },
        )
    ],
)

TASK = ResourceType(
    name="Task",
    personal=True,
    params={
        **REFERRAL_PARAMS,
        "status": Param(
            "token", "requested, accepted, rejected, in-progress, completed, cancelled, failed"
        ),
        "owner": Param("reference", "Rumah sakit tujuan (Organization)"),
        "focus": Param("reference", "Rujukan (ServiceRequest)"),
        "based-on": Param("reference", "Rujukan (ServiceRequest)"),
    },
    sources=[
        Source(
            query=_referrals,
            build=r.task,
            filters={
                **REFERRAL_FILTERS,
                "status": _status_q(r.TASK_STATUS),
                "owner": _uuid_q("receiver__public_id", "Organization"),
                "focus": _uuid_q("public_id", "ServiceRequest"),
                "based-on": _uuid_q("public_id", "ServiceRequest"),
            },
        )
    ],
)

# --- Encounter: emergency hand-offs ---------------------------------------------------------------


def _handoffs(user: Any) -> QuerySet:
    return (
        emergency_selectors.visible_handoffs(user)
        .select_related("incident", "hospital", "referral")
        .order_by("-created_at", "pk")
    )


ENCOUNTER = ResourceType(
    name="Encounter",
    personal=True,
    params={
        "_id": ID,
        "identifier": Param("token", f"Nomor kejadian PSC 119 ({r.SYS_INCIDENT_NUMBER})"),
        "status": Param("token", "planned, arrived, cancelled"),
        "service-provider": Param("reference", "Rumah sakit tujuan (Organization)"),
        "based-on": Param("reference", "Rujukan (ServiceRequest)"),
        "class": Param("token", "EMER"),
    },
    sources=[
        Source(
            query=_handoffs,
            build=r.encounter,
            filters={
                "_id": _uuid_q("public_id"),
                "identifier": lambda v, m: token_q(v, {r.SYS_INCIDENT_NUMBER: "incident__number"}),
                "status": _status_q(r.ENCOUNTER_STATUS),
                "service-provider": _uuid_q("hospital__public_id", "Organization"),
                "based-on": _uuid_q("referral__public_id", "ServiceRequest"),
                "class": _always(r.CS_ACT_CODE, "EMER"),
            },
        )
    ],
)

# --- Observation: child measurements -----------------------------------------------------------

MEASUREMENT_FIELD = {
    "weight": "weight_kg",
    "length": "length_cm",
    "muac": "muac_cm",
    "haz": "haz",
    "waz": "waz",
    "whz": "whz",
}
LYING = Q(position="L") | Q(position="", age_days__lt=r.LYING_BELOW_DAYS)


def _observation_code(kind: str):
    def build(value: str, modifier: str) -> Q:
        system, code = split_token(value)
        if kind in r.ZSCORES:
            ok = code == kind and system in (None, r.CS_GROWTH_ZSCORE)
            return Q() if ok else NOTHING
        if system not in (None, r.SYS_LOINC):
            return NOTHING
        if kind == "length":
            if code == r.BODY_LENGTH[2]:
                return LYING
            return ~LYING if code == r.BODY_HEIGHT[2] else NOTHING
        spec = r.WEIGHT if kind == "weight" else r.MUAC
        return Q() if code == spec[2] else NOTHING

    return build


def _observation_id(kind: str):
    def build(value: str, modifier: str) -> Q:
        measurement_part, _sep, kind_part = value.strip().partition(".")
        public_id = as_uuid(measurement_part)
        return Q(public_id=public_id) if public_id and kind_part == kind else NOTHING

    return build


def _measurements(kind: str):
    def query(user: Any) -> QuerySet:
        field = MEASUREMENT_FIELD[kind]
        return (
            nutrition_selectors.visible_measurements(user)
            .filter(**{f"{field}__isnull": False})
            .select_related("child", "posyandu")
            .order_by("-measured_on", "pk")
        )

    return query


def _observation_source(kind: str) -> Source:
    category = "exam" if kind in r.ZSCORES else "vital-signs"
    return Source(
        query=_measurements(kind),
        build=lambda m: r.observation(m, kind),
        filters={
            "_id": _observation_id(kind),
            "code": _observation_code(kind),
            "patient": _uuid_q("child__public_id", "Patient", r.PATIENT_CHILD),
            "subject": _uuid_q("child__public_id", "Patient", r.PATIENT_CHILD),
            "category": _always(r.CS_OBSERVATION_CATEGORY, category),
            "date": _date_q("measured_on"),
        },
    )


OBSERVATION = ResourceType(
    name="Observation",
    personal=True,
    params={
        "_id": Param("token", "<UUID pengukuran>.<weight|length|muac|haz|waz|whz>"),
        "code": Param(
            "token",
            "LOINC 29463-7 berat, 8306-3 panjang badan, 8302-2 tinggi badan, 56072-2 LiLA; "
            f"z-score {r.CS_GROWTH_ZSCORE}: haz, waz, whz",
        ),
        "patient": Param("reference", "Anak (Patient/anak-<UUID>)"),
        "subject": Param("reference", "Anak (Patient/anak-<UUID>)"),
        "category": Param("token", "vital-signs (ukuran), exam (z-score)"),
        "date": Param("date", "Tanggal pengukuran (eq, ne, gt, lt, ge, le + YYYY-MM-DD)"),
    },
    sources=[_observation_source(kind) for kind in r.OBSERVATION_KINDS],
)

# --- Patient: children of the nutrition register and referral patients ----------------------------


def _children(user: Any) -> QuerySet:
    return (
        nutrition_selectors.visible_children(user)
        .select_related("kelurahan__parent__parent__parent")
        .order_by("name", "pk")
    )


PATIENT = ResourceType(
    name="Patient",
    personal=True,
    params={
        "_id": Param("token", "anak-<UUID> (register gizi) atau rujukan-<UUID> (pasien rujukan)"),
        "identifier": Param("token", f"NIK ({r.SYS_NIK})"),
        "name": Param("string", "Nama (awalan; :exact, :contains)", STRING),
        "gender": Param("token", "male, female"),
        "birthdate": Param("date", "Tanggal lahir (eq, ne, gt, lt, ge, le + YYYY-MM-DD)"),
    },
    sources=[
        Source(
            query=_children,
            build=r.child_patient,
            filters={
                "_id": _uuid_q("public_id", prefix=r.PATIENT_CHILD),
                "identifier": lambda v, m: token_q(v, {r.SYS_NIK: "nik"}),
                "name": lambda v, m: string_q(v, m, "name"),
                "gender": _gender_q("sex"),
                "birthdate": _date_q("birth_date"),
            },
        ),
        Source(
            query=_referrals,
            build=r.referral_patient,
            filters={
                "_id": _uuid_q("public_id", prefix=r.PATIENT_REFERRAL),
                "identifier": lambda v, m: token_q(v, {r.SYS_NIK: "patient_nik"}),
                "name": lambda v, m: string_q(v, m, "patient_name"),
                "gender": _gender_q("patient_sex"),
                "birthdate": _date_q("patient_birth_date"),
            },
        ),
    ],
)

RESOURCE_TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ORGANIZATION,
        LOCATION,
        HEALTHCARE_SERVICE,
        SERVICE_REQUEST,
        TASK,
        ENCOUNTER,
        OBSERVATION,
        PATIENT,
    )
}
