"""Births, one at a time or from a register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from sigap.core.errors import InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor, record_audit
from sigap.core.text import clip
from sigap.facilities.models import Facility
from sigap.regions.models import Region

from ..models import Birth, Pregnancy
from ._input import _today
from .access import require_recorder


@dataclass
class BirthInput:
    born_on: date
    outcome: str
    kelurahan_code: str
    mother_nik: str = ""
    sex: str = ""
    weight_kg: float | None = None
    pregnancy: Pregnancy | None = None
    facility: Facility | None = None
    is_synthetic: bool = False


def register_birth(actor: Actor, data: BirthInput) -> Birth:
    require_recorder(actor, data.kelurahan_code)
    if data.outcome not in Birth.Outcome.values:
        raise InvalidInput(
            _("Hasil persalinan harus lahir hidup atau lahir mati."), field="outcome"
        )
    if data.born_on > _today():
        raise InvalidInput(_("Tanggal lahir di masa depan."), field="born_on")
    if data.sex not in ("", "L", "P"):
        raise InvalidInput(_("Jenis kelamin harus L atau P."), field="sex")
    if data.weight_kg is not None and not (0.3 <= data.weight_kg <= 7):
        raise InvalidInput(_("Berat lahir di luar rentang 0,3–7 kg."), field="weight_kg")
    if not Region.objects.filter(code=data.kelurahan_code, level=Region.Level.VILLAGE).exists():
        raise InvalidInput(_("Kelurahan tidak dikenal."), field="kelurahan_code")
    with transaction.atomic():
        b = Birth.objects.create(
            pregnancy=data.pregnancy,
            mother_nik=data.mother_nik,
            born_on=data.born_on,
            outcome=data.outcome,
            sex=data.sex,
            weight_kg=data.weight_kg,
            kelurahan_code=data.kelurahan_code,
            facility=data.facility,
            is_synthetic=data.is_synthetic,
        )
        if data.pregnancy is not None and data.pregnancy.ended_on is None:
            Pregnancy.objects.filter(pk=data.pregnancy.pk).update(ended_on=data.born_on)
        record_audit(
            actor, "birth.create", b, after={"outcome": b.outcome, "born_on": b.born_on.isoformat()}
        )
    return b


def register_births_bulk(actor: Actor, items: list[BirthInput], *, label: str) -> int:
    """Many births at once (register imports, demo): each checked like `register_birth`,
    any bad one refuses the batch; one audit record names it."""
    codes = {b.kelurahan_code for b in items}
    known = set(
        Region.objects.filter(code__in=codes, level=Region.Level.VILLAGE).values_list(
            "code", flat=True
        )
    )
    for code in codes:
        require_recorder(actor, code)
    today = _today()
    for n, b in enumerate(items, start=1):
        if (
            b.outcome not in Birth.Outcome.values
            or b.born_on > today
            or b.sex not in ("", "L", "P")
        ):
            raise InvalidInput(_("Data kelahiran ke-%(n)d tidak sah.") % {"n": n}, field="births")
        if b.kelurahan_code not in known:
            raise InvalidInput(_("Kelurahan tidak dikenal."), field="kelurahan_code")
    objs = [
        Birth(
            pregnancy=b.pregnancy,
            mother_nik=b.mother_nik,
            born_on=b.born_on,
            outcome=b.outcome,
            sex=b.sex,
            weight_kg=b.weight_kg,
            kelurahan_code=b.kelurahan_code,
            facility=b.facility,
            is_synthetic=b.is_synthetic,
        )
        for b in items
    ]
    with transaction.atomic():
        Birth.objects.bulk_create(objs, batch_size=1000)
        record_audit(
            actor,
            "birth.bulk_create",
            object_type="nutrition.birth",
            object_id=clip(label, AuditEvent, "object_id"),
            object_label=_("%(n)d kelahiran") % {"n": len(objs)},
            after={"created": len(objs), "source": label},
        )
    return len(objs)
