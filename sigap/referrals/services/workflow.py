"""The one function that moves a referral (`_move`, along `TRANSITIONS`) and the record of
each answer (or timeout) with its daily statistics."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict, NotFound
from sigap.core.services import Actor, record_audit

from ..models import Referral, ReferralAnswer, ReferralDailyStat, ReferralEvent
from ..signals import referral_moved
from ._fields import clip
from .rules import TRANSITIONS


def _move(
    actor: Actor,
    referral: Referral,
    action: str,
    *,
    now: datetime,
    note: str = "",
    **changes: object,
) -> Referral:
    """Compare-and-set the status along TRANSITIONS; record the event and the audit trail.
    Call inside a transaction. Raises Conflict when the referral is no longer where the
    caller saw it (someone else moved it first)."""
    sources, target = TRANSITIONS[action]
    before = referral.status
    if before not in sources:
        raise Conflict(
            _("Rujukan berstatus %(s)s; tindakan ini tidak dapat dilakukan.")
            % {"s": Referral.Status(before).label}
        )
    moved = Referral.objects.filter(
        pk=referral.pk, status=before, receiver_id=referral.receiver_id
    ).update(status=target, status_changed_at=now, updated_at=now, **changes)
    if not moved:
        raise Conflict(_("Rujukan ini baru saja diubah oleh pengguna lain; muat ulang."))
    receiver_before = referral.receiver_id
    referral.refresh_from_db()
    ReferralEvent.objects.create(
        referral=referral,
        at=now,
        action=action,
        from_status=before,
        to_status=target,
        facility_id=referral.receiver_id,
        actor_label=clip(actor.display, ReferralEvent, "actor_label"),
        note=clip(note, ReferralEvent, "note"),
    )
    after = {"status": target, "note": clip(note, ReferralEvent, "note")}
    if referral.receiver_id != receiver_before:
        after["receiver"] = referral.receiver_id
    record_audit(actor, f"referral.{action}", referral, before={"status": before}, after=after)
    referral_moved.send(
        sender=Referral, referral=referral, action=action, from_status=before, actor=actor, now=now
    )
    return referral


def _lock(referral: Referral) -> Referral:
    """The current row (a stale copy would make the compare-and-set fail needlessly on
    fields other than the status)."""
    fresh = Referral.objects.select_related("receiver", "sender").filter(pk=referral.pk).first()
    if fresh is None:
        raise NotFound(_("Rujukan tidak ditemukan."))
    return fresh


# --- answers and their statistics ---------------------------------------------------------


def _offered_at(referral: Referral) -> datetime:
    """When the current receiver got the referral (sent or redirected to it)."""
    last = (
        ReferralEvent.objects.filter(referral=referral, action__in=("send", "redirect"))
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    return last or referral.created_at


def _record_answer(referral: Referral, outcome: str, now: datetime) -> None:
    offered = _offered_at(referral)
    seconds = max(0, int((now - offered).total_seconds()))
    try:
        with transaction.atomic():
            ReferralAnswer.objects.create(
                referral=referral,
                facility_id=referral.receiver_id,
                payer=referral.payer,
                urgency=referral.urgency,
                outcome=outcome,
                offered_at=offered,
                answered_at=now,
                seconds=seconds,
            )
    except IntegrityError:
        return  # this offer already has its outcome (a late answer after a timeout)
    day = timezone.localdate(now)
    answered = outcome != ReferralAnswer.Outcome.TIMEOUT
    stat, _created = ReferralDailyStat.objects.get_or_create(
        facility_id=referral.receiver_id, day=day
    )
    ReferralDailyStat.objects.filter(pk=stat.pk).update(
        offers=F("offers") + 1,
        accepted=F("accepted") + (1 if outcome == ReferralAnswer.Outcome.ACCEPTED else 0),
        timeouts=F("timeouts") + (0 if answered else 1),
        answered=F("answered") + (1 if answered else 0),
        answer_seconds=F("answer_seconds") + (seconds if answered else 0),
    )
