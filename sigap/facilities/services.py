"""Facility registry operations: create/update with validation, Puskesmas catchments,
operator links, and the operator scope checks every capability uses."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from sigap.core.models import Role, User
from sigap.core.services import Actor, Channel, record_audit
from sigap.regions.models import Region

from .models import Facility, FacilityKind, FacilityOperator, Kind, Service

# Which operator role may be linked to which facility kind.
OPERATOR_ROLES_BY_KIND = {
    Kind.HOSPITAL: {Role.HOSPITAL_OPERATOR},
    Kind.PUSKESMAS: {Role.PUSKESMAS_STAFF},
    Kind.PUSTU: {Role.PUSKESMAS_STAFF},
    Kind.CLINIC: {Role.PUSKESMAS_STAFF, Role.HOSPITAL_OPERATOR},
    Kind.PRACTICE: {Role.PUSKESMAS_STAFF},
    Kind.POSYANDU: {Role.PUSKESMAS_STAFF},
}
OPERATOR_ROLES = {Role.HOSPITAL_OPERATOR, Role.PUSKESMAS_STAFF}


@dataclass
class FacilityInput:
    """What a facility is made of. Position defaults to the kelurahan's centroid."""

    name: str
    kind: str
    ownership: str
    village_code: str
    latitude: float | None = None
    longitude: float | None = None
    hospital_class: str = ""
    parent: Facility | None = None
    kemenkes_code: str = ""
    bpjs_kodeppk: str | None = None
    address: str = ""
    phone: str = ""
    emergency_phone: str = ""
    services: list[str] = field(default_factory=list)
    is_active: bool = True
    is_synthetic: bool = False


# --- who may do what ---------------------------------------------------------------------


def _require_manager(actor: Actor, region_code: str) -> None:
    """Registry changes: admins (within their area) or trusted command-line/system actors."""
    user = actor.user
    if user is None:
        if actor.channel in {Channel.SYSTEM, Channel.CLI}:
            return
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if not user.is_admin_role:
        raise Forbidden(_("Hanya admin yang dapat mengubah data fasilitas."))
    if not user.is_superuser and not user.covers_area(region_code):
        raise Forbidden(_("Wilayah ini di luar cakupan Anda."))


def facilities_operated_by(user: User | None) -> QuerySet[Facility]:
    """Facilities a user may operate: all for admins; for hospital operators and Puskesmas
    staff, the facilities they are linked to (and the Pustu of a linked Puskesmas)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Facility.objects.none()
    if user.is_admin_role:
        return Facility.objects.all()
    if user.role not in OPERATOR_ROLES:
        return Facility.objects.none()
    linked = FacilityOperator.objects.filter(user=user).values("facility_id")
    return Facility.objects.filter(Q(pk__in=linked) | Q(parent_id__in=linked)).distinct()


def can_operate(user: User | None, facility: Facility) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin_role:
        return True
    if user.role not in OPERATOR_ROLES:
        return False
    ids = [facility.pk] + ([facility.parent_id] if facility.parent_id else [])
    return FacilityOperator.objects.filter(user=user, facility_id__in=ids).exists()


def require_operator(actor: Actor, facility: Facility) -> User:
    """The acting user if they may operate `facility`; raises otherwise."""
    if actor.user is None:
        raise NotAuthenticated(_("Silakan masuk terlebih dahulu."))
    if not can_operate(actor.user, facility):
        raise Forbidden(_("Anda bukan operator fasilitas ini."))
    return actor.user


# --- validation and snapshots ------------------------------------------------------------


def snapshot(f: Facility) -> dict[str, Any]:
    """The facility's fields as JSON for the audit trail."""
    return {
        "name": f.name,
        "kind": f.kind_id,
        "ownership": f.ownership,
        "hospital_class": f.hospital_class,
        "parent": str(f.parent.public_id) if f.parent_id else None,
        "village": f.village_id,
        "latitude": f.latitude,
        "longitude": f.longitude,
        "kemenkes_code": f.kemenkes_code,
        "bpjs_kodeppk": f.bpjs_kodeppk,
        "address": f.address,
        "phone": f.phone,
        "emergency_phone": f.emergency_phone,
        "is_active": f.is_active,
        "is_synthetic": f.is_synthetic,
        "services": sorted(f.services.values_list("code", flat=True)) if f.pk else [],
    }


def validate(data: FacilityInput, *, instance: Facility | None = None) -> Region:
    """Check a facility's input; returns its kelurahan. Raises InvalidInput/Conflict."""
    if not (data.name or "").strip():
        raise InvalidInput(_("Nama fasilitas wajib diisi."), field="name")
    if not FacilityKind.objects.filter(code=data.kind).exists():
        raise InvalidInput(_("Jenis fasilitas tidak dikenal."), field="kind")
    if data.ownership not in Facility.Ownership.values:
        raise InvalidInput(_("Kepemilikan harus pemerintah atau swasta."), field="ownership")
    village = Region.objects.filter(code=data.village_code or "").first()
    if village is None or village.level != Region.Level.VILLAGE:
        raise InvalidInput(_("Kelurahan/desa tidak dikenal."), field="village_code")
    lat = data.latitude if data.latitude is not None else village.latitude
    lon = data.longitude if data.longitude is not None else village.longitude
    if lat is None or lon is None:
        raise InvalidInput(_("Posisi fasilitas wajib diisi."), field="latitude")
    if not -90 <= lat <= 90:
        raise InvalidInput(_("Lintang harus antara -90 dan 90."), field="latitude")
    if not -180 <= lon <= 180:
        raise InvalidInput(_("Bujur harus antara -180 dan 180."), field="longitude")
    if data.hospital_class:
        if data.kind != Kind.HOSPITAL:
            raise InvalidInput(
                _("Kelas rumah sakit hanya untuk rumah sakit."), field="hospital_class"
            )
        if data.hospital_class not in Facility.HospitalClass.values:
            raise InvalidInput(_("Kelas rumah sakit harus A, B, C atau D."), field="hospital_class")
    if data.kind == Kind.PUSTU:
        if data.parent is None:
            raise InvalidInput(_("Pustu harus memiliki Puskesmas induk."), field="parent")
        if data.parent.kind_id != Kind.PUSKESMAS:
            raise InvalidInput(_("Induk Pustu harus sebuah Puskesmas."), field="parent")
    elif data.parent is not None:
        raise InvalidInput(_("Hanya Pustu yang memiliki Puskesmas induk."), field="parent")
    unknown = set(data.services) - set(
        Service.objects.filter(code__in=data.services).values_list("code", flat=True)
    )
    if unknown:
        raise InvalidInput(
            _("Layanan tidak dikenal: %(codes)s") % {"codes": ", ".join(sorted(unknown))},
            field="services",
        )
    if data.bpjs_kodeppk:
        taken = Facility.objects.filter(bpjs_kodeppk=data.bpjs_kodeppk)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            raise Conflict(_("Kode PPK BPJS sudah dipakai fasilitas lain."), field="bpjs_kodeppk")
    data.latitude, data.longitude = lat, lon
    return village


def _apply(f: Facility, data: FacilityInput) -> None:
    f.name = data.name.strip()
    f.kind_id = data.kind
    f.ownership = data.ownership
    f.hospital_class = data.hospital_class or ""
    f.parent = data.parent
    f.village_id = data.village_code
    f.latitude = data.latitude
    f.longitude = data.longitude
    f.kemenkes_code = data.kemenkes_code or ""
    f.bpjs_kodeppk = data.bpjs_kodeppk or None
    f.address = data.address or ""
    f.phone = data.phone or ""
    f.emergency_phone = data.emergency_phone or ""
    f.is_active = data.is_active
    f.is_synthetic = data.is_synthetic


def _input_of(f: Facility) -> FacilityInput:
    return FacilityInput(
        name=f.name,
        kind=f.kind_id,
        ownership=f.ownership,
        village_code=f.village_id,
        latitude=f.latitude,
        longitude=f.longitude,
        hospital_class=f.hospital_class,
        parent=f.parent,
        kemenkes_code=f.kemenkes_code,
        bpjs_kodeppk=f.bpjs_kodeppk,
        address=f.address,
        phone=f.phone,
        emergency_phone=f.emergency_phone,
        services=sorted(f.services.values_list("code", flat=True)),
        is_active=f.is_active,
        is_synthetic=f.is_synthetic,
    )


# --- operations --------------------------------------------------------------------------


def create_facility(actor: Actor, data: FacilityInput) -> Facility:
    _require_manager(actor, data.village_code or "")
    validate(data)
    f = Facility()
    _apply(f, data)
    try:
        with transaction.atomic():
            f.save()
            f.services.set(data.services)
            record_audit(actor, "facility.create", f, after=snapshot(f))
    except IntegrityError as exc:
        raise Conflict(_("Fasilitas bertentangan dengan data yang ada."), field=None) from exc
    return f


def update_facility(actor: Actor, facility: Facility, **changes: Any) -> Facility:
    """Change some fields (names as in FacilityInput); the result is validated as a whole."""
    allowed = {f.name for f in dataclasses.fields(FacilityInput)}
    bad = set(changes) - allowed
    if bad:
        raise InvalidInput(_("Kolom tidak dikenal."), field=sorted(bad)[0])
    _require_manager(actor, facility.village_id)
    data = dataclasses.replace(_input_of(facility), **changes)
    if "village_code" in changes and not ("latitude" in changes or "longitude" in changes):
        # a move to another kelurahan without a position takes the new centroid
        data.latitude = data.longitude = None
    _require_manager(actor, data.village_code or "")
    validate(data, instance=facility)
    before = snapshot(facility)
    if (
        facility.kind_id == Kind.PUSKESMAS
        and data.kind != Kind.PUSKESMAS
        and facility.satellites.exists()
    ):
        raise InvalidInput(_("Puskesmas ini masih memiliki Pustu."), field="kind")
    _apply(facility, data)
    try:
        with transaction.atomic():
            facility.save()
            facility.services.set(data.services)
            after = snapshot(facility)
            if after != before:
                record_audit(actor, "facility.update", facility, before=before, after=after)
    except IntegrityError as exc:
        raise Conflict(_("Fasilitas bertentangan dengan data yang ada."), field=None) from exc
    return facility


def assign_catchment(actor: Actor, puskesmas: Facility, village_codes: Iterable[str]) -> list[str]:
    """Set the kelurahan/desa a Puskesmas serves (replaces the previous set)."""
    _require_manager(actor, puskesmas.village_id)
    if puskesmas.kind_id != Kind.PUSKESMAS:
        raise InvalidInput(_("Wilayah kerja hanya untuk Puskesmas."), field="catchment")
    codes = sorted(set(village_codes))
    found = set(
        Region.objects.filter(code__in=codes, level=Region.Level.VILLAGE).values_list(
            "code", flat=True
        )
    )
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(
            _("Bukan kelurahan/desa: %(codes)s") % {"codes": ", ".join(missing[:5])},
            field="catchment",
        )
    user = actor.user
    if user is not None and not user.is_superuser:
        outside = [c for c in codes if not user.covers_area(c)]
        if outside:
            raise Forbidden(_("Wilayah ini di luar cakupan Anda."), field="catchment")
    before = sorted(puskesmas.catchment.values_list("code", flat=True))
    if before == codes:
        return codes
    with transaction.atomic():
        puskesmas.catchment.set(codes)
        record_audit(
            actor,
            "facility.catchment",
            puskesmas,
            before={"catchment": before},
            after={"catchment": codes},
        )
    return codes


def add_operator(actor: Actor, facility: Facility, user: User) -> FacilityOperator:
    """Link a user to a facility as its operator (idempotent)."""
    _require_manager(actor, facility.village_id)
    allowed = OPERATOR_ROLES_BY_KIND.get(facility.kind_id, set())
    if user.role not in allowed:
        raise InvalidInput(
            _("Peran pengguna ini tidak dapat menjadi operator fasilitas jenis ini."),
            field="user",
        )
    with transaction.atomic():
        link, created = FacilityOperator.objects.get_or_create(user=user, facility=facility)
        if created:
            record_audit(
                actor,
                "facility.operator_add",
                facility,
                after={"operator": user.get_username(), "role": user.role},
            )
    return link


def remove_operator(actor: Actor, facility: Facility, user: User) -> bool:
    """Unlink an operator; returns False when the link did not exist."""
    _require_manager(actor, facility.village_id)
    with transaction.atomic():
        deleted, _n = FacilityOperator.objects.filter(user=user, facility=facility).delete()
        if deleted:
            record_audit(
                actor,
                "facility.operator_remove",
                facility,
                before={"operator": user.get_username(), "role": user.role},
            )
    return bool(deleted)


def public_facilities(kind: str = "", area_code: str = "") -> QuerySet[Facility]:
    """Active facilities for public lists (callers must expose only public fields)."""
    qs = Facility.objects.filter(is_active=True).select_related("kind", "village__parent")
    if kind:
        qs = qs.filter(kind_id=kind)
    if area_code:
        qs = qs.filter(village__code__startswith=area_code)
    return qs.prefetch_related("services").order_by("name", "pk")
