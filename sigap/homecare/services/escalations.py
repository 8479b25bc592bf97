"""Escalations of danger signs: raised, handed over to referrals or PSC 119, withdrawn, closed."""

from __future__ import annotations

import contextlib
import importlib
import logging
from datetime import datetime

from django.apps import apps
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, Forbidden
from sigap.core.models import AuditEvent
from sigap.core.services import Actor, Channel, record_audit
from sigap.facilities import services as facility_services

from ..models import Escalation, VisitRecord
from ._input import _clean, field_length
from .access import require_staff
from .signs import escalation_kind

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
    """Cancel what the escalation created, through the other capability's own transition
    function. Returns a label of what was withdrawn."""
    note = _("Ditarik oleh petugas perawatan rumah (salah catat): %(r)s") % {"r": reason}
    if escalation.handed_to_type == "referrals.referral":
        # imported here: referrals and emergency import these services (sign labels), so a
        # top-level import closes a cycle; home care reaches them on demand, like the hand-over
        from sigap.referrals import services as referral_services
        from sigap.referrals.models import Referral

        referral = Referral.objects.filter(public_id=escalation.handed_to_id).first()
        if referral is None or referral.status == Referral.Status.CANCELLED:
            return escalation.handed_to
        if referral.status not in referral_services.TRANSITIONS["cancel"][0]:
            raise Conflict(
                _("Rujukan %(no)s sudah %(s)s dan tidak dapat ditarik; hubungi rumah sakit.")
                % {"no": referral.number, "s": referral.get_status_display()},
                field="escalation",
            )
        sender_actor = actor
        if actor.user is None or not facility_services.can_operate(actor.user, referral.sender):
            # the worker's own login is not always an operator of the Puskesmas (the same
            # hand-over identity create_from_homecare used to send it)
            label = f"homecare:{actor.display}"[: field_length(AuditEvent, "actor_label")]
            sender_actor = Actor(user=None, channel=Channel.SYSTEM, label=label,
                                 remote_addr=actor.remote_addr)  # fmt: skip
        referral_services.cancel_referral(sender_actor, referral, reason=note[:255], now=now)
        return referral.number
    if escalation.handed_to_type == "emergency.incident":
        from sigap.emergency import services as emergency_services  # cycle: see above

        incident = emergency_services.withdraw_from_homecare(actor, escalation, note, now=now)
        return incident.number if incident is not None else escalation.handed_to
    raise Conflict(
        _("Tujuan eskalasi ini tidak dapat ditarik dari sini; hubungi penerimanya."),
        field="escalation",
    )


def withdraw_escalation(
    actor: Actor, escalation: Escalation, reason: str, *, now: datetime | None = None
) -> Escalation:
    """The author of the visit record withdraws an escalation raised in error, with a reason:
    an open one simply ends; a handed-over referral is cancelled through referrals'
    `cancel_referral` (the receiving hospital sees it cancelled with the reason); a PSC 119
    incident is cancelled while no unit is on its way (`emergency.services
    .withdraw_from_homecare`). All or nothing; audited. Returns the withdrawn escalation."""
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
            )
        before = locked.status
        target = ""
        if before == Escalation.Status.HANDED_OVER:
            target = _withdraw_target(actor, locked, reason, now)
        locked.status = Escalation.Status.WITHDRAWN
        locked.status_reason = reason
        locked.save(update_fields=["status", "status_reason", "updated_at"])
        record_audit(
            actor, "escalation.withdrawn", locked,
            before={"status": before},
            after={"status": locked.status, "reason": reason, "target": target},
        )  # fmt: skip
    return locked


HAND_OVER_TARGETS = {
    Escalation.Kind.REFERRAL: "sigap.referrals.services",
    Escalation.Kind.EMERGENCY: "sigap.emergency.services",
}


def hand_over_escalation(actor: Actor, escalation: Escalation) -> Escalation:
    """THE call point to the referral and emergency capabilities.

    Calls `create_from_homecare(actor, escalation)` of `sigap.referrals.services` (kind
    "referral") or `sigap.emergency.services` (kind "emergency") when it exists.

    What it passes:
    - `actor`: who recorded the visit (the worker, a `puskesmas_staff` operator of
      `escalation.facility`) or the staff member pressing "teruskan" in the inbox.
    - `escalation`: an `Escalation` row, status "open": `kind`, `reasons` (danger-sign codes;
      `sign_labels(escalation.reasons)` gives the labels), `facility` (the Puskesmas that
      refers), `public_id` (a stable reference: use it to refuse a second hand-over of the
      same escalation), `record` (the `VisitRecord`: vital signs, notes, outcome,
      `recorded_by`) and `record.visit.care_plan.request` (the patient: `nik`, `name`,
      `phone`, `address`, `village`, `latitude`, `longitude`, `need`).

    What it expects back: the object it created, a model instance with a `public_id` (the
    `Referral` or the `Incident`); its `str()` is shown and, when it has
    `get_absolute_url()`, the visit record links to it. `None` means "not taken": the
    escalation stays open. A raised error is not the visit's failure: the call runs in its
    own transaction after the visit record is saved (their rows and our mark commit together
    or not at all), the escalation stays open for staff in the inbox, and the error is
    audited. Until the function exists, escalations stay open in the Puskesmas inbox."""
    try:
        module = importlib.import_module(HAND_OVER_TARGETS[escalation.kind])
    except ImportError:
        return escalation
    target = getattr(module, "create_from_homecare", None)
    if target is None:
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
            ref = target(actor, locked)
            if ref is None:
                return escalation
            meta = getattr(ref, "_meta", None)
            locked.status = Escalation.Status.HANDED_OVER
            locked.handed_to = str(ref)[: field_length(Escalation, "handed_to")]
            locked.handed_to_type = meta.label_lower if meta is not None else ""
            locked.handed_to_id = getattr(ref, "public_id", None)
            locked.save(update_fields=["status", "handed_to", "handed_to_type",
                                       "handed_to_id", "updated_at"])  # fmt: skip
            record_audit(
                actor, "escalation.handed_over", locked,
                after={"to": locked.handed_to, "type": locked.handed_to_type,
                       "id": str(locked.handed_to_id or "")},
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
        raise Conflict(_("Eskalasi ini sudah ditangani."))
    return hand_over_escalation(actor, escalation)


# Pages of the created object, by "app_label.model", for models without get_absolute_url.
# PSC 119 incidents have no page a Puskesmas may open: they show as text.
TARGET_PAGES = {"referrals.referral": "referrals:detail"}


def escalation_target(escalation: Escalation) -> tuple[str, str]:
    """(label, url) of what an escalation was handed to; url is "" when not linkable."""
    if not (escalation.handed_to_type and escalation.handed_to_id):
        return escalation.handed_to, ""
    try:
        model = apps.get_model(escalation.handed_to_type)
    except (LookupError, ValueError):
        return escalation.handed_to, ""
    obj = model._default_manager.filter(public_id=escalation.handed_to_id).first()
    url = ""
    if obj is None:
        return escalation.handed_to, url
    with contextlib.suppress(Exception):  # a broken link must not break the record page
        if hasattr(obj, "get_absolute_url"):
            url = obj.get_absolute_url()
        elif escalation.handed_to_type in TARGET_PAGES:
            url = reverse(TARGET_PAGES[escalation.handed_to_type], args=[obj.public_id])
    return escalation.handed_to, url


def close_escalation(actor: Actor, escalation: Escalation, note: str) -> Escalation:
    require_staff(actor, escalation.facility)
    note = _clean(note, "note", _("Catatan"), field_length(Escalation, "handed_to"))
    with transaction.atomic():
        done = Escalation.objects.filter(pk=escalation.pk, status=Escalation.Status.OPEN).update(
            status=Escalation.Status.HANDLED, handed_to=note
        )
        if not done:
            raise Conflict(_("Eskalasi ini sudah ditangani."))
        record_audit(actor, "escalation.handled", escalation, after={"note": note})
    escalation.refresh_from_db()
    return escalation
