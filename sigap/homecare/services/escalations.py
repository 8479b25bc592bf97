"""Escalations of danger signs: raised, handed over to referrals or PSC 119, withdrawn, closed."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, Forbidden
from sigap.core.services import Actor, record_audit
from sigap.core.text import clip, max_length
from sigap.core.workflow import ILLEGAL_TRANSITION

from .. import contracts
from ..models import Escalation, VisitRecord
from ._input import _clean
from .access import require_staff
from .flows import ESCALATIONS
from .signs import escalation_kind, sign_labels

log = logging.getLogger(__name__)

LIVE_ESCALATION = (Escalation.Status.OPEN, Escalation.Status.HANDED_OVER)


def is_author(actor: Actor, record: VisitRecord) -> bool:
    return bool(actor.user and record.recorded_by_id == actor.user.pk)


def _raise_escalation(actor: Actor, record: VisitRecord, signs: list[str]) -> Escalation:
    kind = escalation_kind(signs)
    escalation = Escalation.objects.create(
        record=record, facility=record.visit.facility, kind=kind, reasons=signs
    )
    record_audit(actor, "escalation.create", escalation, after={"kind": kind, "reasons": signs})
    return escalation


def stale_escalations(record: VisitRecord, escalations=None) -> list[Escalation]:
    """Live escalations with a sign the (corrected) record no longer has: candidates for
    withdrawal. `escalations`: the record's escalations when the caller already has them."""
    signs = set(record.danger_signs)
    if escalations is None:
        escalations = record.escalations.all()
    return [
        e for e in escalations
        if e.status in LIVE_ESCALATION and not set(e.reasons) <= signs
    ]  # fmt: skip


def _withdraw_target(actor: Actor, escalation: Escalation, reason: str, now: datetime) -> str:
    """Cancel what the escalation created, through the receiver that created it (its own
    transition function; see `contracts`). Returns a label of what was withdrawn."""
    receiver = contracts.receiver_of(escalation.handed_to_type)
    if receiver is None or receiver.withdraw is None:
        raise Conflict(
            _("Tujuan eskalasi ini tidak dapat ditarik dari sini; hubungi penerimanya."),
            field="escalation",
        )
    note = _("Ditarik oleh petugas perawatan rumah (salah catat): %(r)s") % {"r": reason}
    withdrawal = contracts.Withdrawal(
        escalation_id=escalation.public_id,
        target_id=escalation.handed_to_id,
        target_label=escalation.handed_to,
        worker_id=escalation.record.recorded_by_id,
        note=note,
        now=now,
    )
    return receiver.withdraw(actor, withdrawal)


def withdraw_escalation(
    actor: Actor, escalation: Escalation, reason: str, *, now: datetime | None = None
) -> Escalation:
    """The author of the visit record withdraws an escalation raised in error, with a reason:
    an open one simply ends; a handed-over one is withdrawn by its receiver (`contracts`): a
    referral is cancelled (the receiving hospital sees it cancelled with the reason), a PSC 119
    incident while no unit is on its way. All or nothing; audited. Returns the withdrawn
    escalation."""
    now = now or timezone.now()
    if not is_author(actor, escalation.record):
        raise Forbidden(_("Hanya petugas yang mencatat kunjungan ini yang dapat menariknya."))
    reason = _clean(reason, "reason", _("Alasan penarikan"), 200)
    with transaction.atomic():
        locked = Escalation.objects.select_for_update(of=("self",)).order_by().get(pk=escalation.pk)
        if locked.status not in LIVE_ESCALATION:
            raise Conflict(
                _("Eskalasi ini sudah %(s)s.") % {"s": locked.get_status_display().lower()},
                field="escalation",
                code=ILLEGAL_TRANSITION,
            )
        before = locked.status
        target = ""
        if before == Escalation.Status.HANDED_OVER:
            target = _withdraw_target(actor, locked, reason, now)
        ESCALATIONS.move(
            actor, locked, Escalation.Status.WITHDRAWN, reason=reason,
            changes={"status_reason": reason}, audit={"target": target},
        )  # fmt: skip
    return locked


def handover_of(escalation: Escalation) -> contracts.HandOver:
    """The payload a receiver gets for an escalation (`contracts.HandOver`): the signs, the
    Puskesmas, the patient of the care request and the visit record, read here so that no
    receiver walks home care's models."""
    record = escalation.record
    request = record.visit.care_plan.request
    worker = record.recorded_by
    signs = tuple(str(s) for s in (escalation.reasons or []))
    return contracts.HandOver(
        escalation_id=escalation.public_id,
        kind=escalation.kind,
        signs=signs,
        sign_labels=tuple(sign_labels(list(signs))),
        facility=escalation.facility,
        patient=contracts.PatientSummary(
            nik=request.nik,
            name=request.name,
            phone=request.phone,
            address=request.address,
            village_code=request.village_id or "",
            latitude=request.latitude,
            longitude=request.longitude,
            need=request.need,
        ),
        visit=contracts.VisitSummary(
            systolic=record.systolic,
            diastolic=record.diastolic,
            pulse=record.pulse,
            respiration=record.respiration,
            temperature=record.temperature,
            spo2=record.spo2,
            notes=record.notes,
            outcome_label=str(record.get_outcome_display()),
            worker_id=record.recorded_by_id,
            worker_full_name=(worker.get_full_name() or "") if worker else "",
            worker_username=worker.get_username() if worker else "",
        ),
    )


def hand_over_escalation(actor: Actor, escalation: Escalation) -> Escalation:
    """THE call point to the referral and emergency capabilities (docs/contracts.md).

    Calls the receiver registered for the escalation's kind (`contracts.receiver_for`) with
    `actor` (who recorded the visit, or the staff member pressing "teruskan" in the inbox)
    and a `contracts.HandOver` payload (`handover_of`). It expects a `contracts.Receipt` of
    what was created (shown, and linked from the visit record), or None: "not taken", the
    escalation stays open. A raised error is not the visit's failure: the call runs in its
    own transaction after the visit record is saved (their rows and our mark commit together
    or not at all), the escalation stays open for staff in the inbox, and the error is
    audited. Without a receiver, escalations stay open in the Puskesmas inbox."""
    receiver = contracts.receiver_for(escalation.kind)
    if receiver is None:
        return escalation
    try:
        with transaction.atomic():
            # the row lock makes a second hand-over of the same escalation wait, then skip
            locked = (
                Escalation.objects.select_for_update(of=("self",)).order_by()
                .select_related("record__visit__care_plan__request", "facility")
                .get(pk=escalation.pk)
            )  # fmt: skip
            if locked.status != Escalation.Status.OPEN:
                escalation.refresh_from_db()
                return escalation
            receipt = receiver.receive(actor, handover_of(locked))
            if receipt is None:
                return escalation
            handed_to = clip(receipt.label, Escalation, "handed_to")
            ESCALATIONS.move(
                actor, locked, Escalation.Status.HANDED_OVER,
                changes={"handed_to": handed_to, "handed_to_type": receipt.target_type,
                         "handed_to_id": receipt.target_id},
                audit={"to": handed_to, "type": receipt.target_type,
                       "id": str(receipt.target_id or "")},
            )  # fmt: skip
    except Exception as exc:  # another capability's failure must not lose the visit record
        log.exception("hand-over of escalation %s failed", escalation.pk)
        record_audit(
            actor, "escalation.hand_over_failed", escalation,
            after={"error": f"{type(exc).__name__}: {exc}"[:255]},
        )  # fmt: skip
    escalation.refresh_from_db()
    return escalation


def retry_hand_over(actor: Actor, escalation: Escalation) -> Escalation:
    """Staff press "teruskan" on an open escalation (e.g. after the other side failed)."""
    require_staff(actor, escalation.facility)
    if escalation.status != Escalation.Status.OPEN:
        raise Conflict(_("Eskalasi ini sudah ditangani."), code=ILLEGAL_TRANSITION)
    return hand_over_escalation(actor, escalation)


def escalation_target(escalation: Escalation) -> tuple[str, str]:
    """(label, url) of what an escalation was handed to; url is "" when the receiver that
    created it gives no page (`contracts.Receiver.page_url`) or the target is gone."""
    label = escalation.handed_to
    if not (escalation.handed_to_type and escalation.handed_to_id):
        return label, ""
    receiver = contracts.receiver_of(escalation.handed_to_type)
    if receiver is None or receiver.page_url is None:
        return label, ""
    try:
        return label, receiver.page_url(escalation.handed_to_id) or ""
    except Exception:  # another capability's broken link must not break the record page
        log.exception("page of escalation %s's target failed", escalation.pk)
        return label, ""


def close_escalation(actor: Actor, escalation: Escalation, note: str) -> Escalation:
    require_staff(actor, escalation.facility)
    note = _clean(note, "note", _("Catatan"), max_length(Escalation, "handed_to"))
    handled = _("Eskalasi ini sudah ditangani.")
    if escalation.status != Escalation.Status.OPEN:
        raise Conflict(handled, code=ILLEGAL_TRANSITION)
    # compare-and-set from the open state the caller saw: of two closers one wins
    ESCALATIONS.move(
        actor, escalation, Escalation.Status.HANDLED, changes={"handed_to": note},
        audit={"note": note}, stale=handled,
    )  # fmt: skip
    escalation.refresh_from_db()
    return escalation
