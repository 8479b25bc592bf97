"""Children: registering one (or updating it by NIK), creating many, reading one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, InvalidInput, NotFound
from sigap.core.models import AuditEvent
from sigap.core.services import Actor, record_audit
from sigap.core.text import clip
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region
from sigap.regions.services import validate_nik

from ..models import Child
from ._input import _check_ranges, _today, _uuid
from .access import (
    mask_nik_encoded,
    require_kelurahan,
    require_reader,
    require_record_in_scope,
    require_recorder,
)


@dataclass
class ChildInput:
    name: str
    sex: str
    birth_date: date
    kelurahan_code: str
    nik: str = ""
    mother_nik: str = ""
    parent_name: str = ""
    birth_weight_kg: float | None = None
    birth_length_cm: float | None = None
    posyandu: Facility | None = None
    address: str = ""
    rt: str = ""
    rw: str = ""
    phone: str = ""
    is_synthetic: bool = False


def _clean_nik(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return validate_nik(value, check_region=False).nik
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None


def validate_child(data: ChildInput, today: date | None = None) -> ChildInput:
    today = today or _today()
    name = (data.name or "").strip()
    if not name:
        raise InvalidInput(_("Nama anak wajib diisi."), field="name")
    sex = (data.sex or "").strip().upper()
    if sex not in ("L", "P"):
        raise InvalidInput(_("Jenis kelamin harus L atau P."), field="sex")
    if not isinstance(data.birth_date, date) or data.birth_date > today:
        raise InvalidInput(_("Tanggal lahir tidak sah."), field="birth_date")
    nik = _clean_nik(data.nik, "nik")
    mother_nik = _clean_nik(data.mother_nik, "mother_nik")
    if nik and nik == mother_nik:
        raise InvalidInput(_("NIK anak sama dengan NIK ibu."), field="mother_nik")
    if not Region.objects.filter(code=data.kelurahan_code, level=Region.Level.VILLAGE).exists():
        raise InvalidInput(_("Kelurahan tidak dikenal."), field="kelurahan_code")
    if data.posyandu is not None and data.posyandu.kind_id != Kind.POSYANDU:
        raise InvalidInput(_("Fasilitas ini bukan posyandu."), field="posyandu")
    _check_ranges(
        (data.birth_weight_kg, "birth_weight_kg", 0.3, 7.0),
        (data.birth_length_cm, "birth_length_cm", 20.0, 65.0),
    )
    return ChildInput(
        **{
            **data.__dict__,
            "name": clip(name, Child, "name"),
            "sex": sex,
            "nik": nik,
            "mother_nik": mother_nik,
        }
    )


def _child_snapshot(c: Child) -> dict:
    return {
        "nik": mask_nik_encoded(c.nik),
        "sex": c.sex,
        "birth_date": c.birth_date.isoformat(),
        "kelurahan": c.kelurahan_id,
        "posyandu": c.posyandu_id,
    }


def register_child(actor: Actor, data: ChildInput) -> Child:
    """A new child, or the existing one with the same NIK (updated)."""
    data = validate_child(data)
    require_recorder(actor, data.kelurahan_code)
    fields = {
        "name": data.name,
        "sex": data.sex,
        "birth_date": data.birth_date,
        "birth_weight_kg": data.birth_weight_kg,
        "birth_length_cm": data.birth_length_cm,
        "mother_nik": data.mother_nik,
        "parent_name": clip(data.parent_name, Child, "parent_name"),
        "posyandu": data.posyandu,
        "kelurahan_id": data.kelurahan_code,
        "address": clip(data.address, Child, "address"),
        "rt": clip(data.rt, Child, "rt"),
        "rw": clip(data.rw, Child, "rw"),
        "phone": clip(data.phone.strip(), Child, "phone"),
        "is_synthetic": data.is_synthetic,
    }
    with transaction.atomic():
        child = None
        if data.nik:
            child = Child.objects.select_for_update().filter(nik=data.nik).first()
        if child is None:
            try:
                with transaction.atomic():
                    child = Child.objects.create(nik=data.nik, **fields)
            except IntegrityError:
                raise Conflict(_("NIK anak sudah terdaftar."), field="nik") from None
            record_audit(actor, "child.create", child, after=_child_snapshot(child))
            return child
        require_kelurahan(actor, child.kelurahan_id)
        before = _child_snapshot(child)
        for k, v in fields.items():
            setattr(child, k, v)
        child.save()
        record_audit(actor, "child.update", child, before=before, after=_child_snapshot(child))
        return child


def create_children_bulk(actor: Actor, items: list[ChildInput], *, label: str) -> int:
    """Create many new children at once (imports, demo). Callers have validated the inputs
    and checked the actor's scope; one audit record names the batch."""
    objs = [
        Child(
            nik=c.nik,
            name=clip(c.name, Child, "name"),
            sex=c.sex,
            birth_date=c.birth_date,
            birth_weight_kg=c.birth_weight_kg,
            birth_length_cm=c.birth_length_cm,
            mother_nik=c.mother_nik,
            parent_name=clip(c.parent_name, Child, "parent_name"),
            posyandu=c.posyandu,
            kelurahan_id=c.kelurahan_code,
            address=clip(c.address, Child, "address"),
            rt=clip(c.rt, Child, "rt"),
            rw=clip(c.rw, Child, "rw"),
            phone=clip(c.phone, Child, "phone"),
            is_synthetic=c.is_synthetic,
        )
        for c in items
    ]
    with transaction.atomic():
        Child.objects.bulk_create(objs, batch_size=1000)
        record_audit(
            actor,
            "child.bulk_create",
            object_type="nutrition.child",
            object_id=clip(label, AuditEvent, "object_id"),
            object_label=_("%(n)d anak") % {"n": len(objs)},
            after={"created": len(objs), "source": label},
        )
    return len(objs)


def get_child(actor: Actor, public_id) -> Child:
    require_reader(actor)
    public_id = _uuid(public_id, _("Anak"))
    child = (
        Child.objects.select_related("posyandu", "kelurahan").filter(public_id=public_id).first()
    )
    if child is None:
        raise NotFound(_("Anak tidak ditemukan."))
    require_record_in_scope(actor, child.kelurahan_id, _("Anak tidak ditemukan."))
    return child
