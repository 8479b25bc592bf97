"""The one function that moves a referral (`_move`, through the core.workflow table
`REFERRALS`) and the record of each answer (or timeout) with its daily statistics."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import NotFound
from sigap.core.services import Actor
from sigap.core.text import clip
from sigap.facilities.models import Facility

from ..models import Referral, ReferralAnswer, ReferralDailyStat, ReferralEvent
from ..signals import referral_moved
from .rules import REFERRALS


def _move(
    actor: Actor,
    referral: Referral,
    action: str,
    *,
    now: datetime,
    note: str = "",
    **changes: object,
) -> Referral:
    """Move the status along REFERRALS (compare-and-set, audit `referral.<action>`); record
    the event and send `referral_moved`. Call inside a transaction. Raises the workflow's
    Conflict: `illegal_transition` when the action may not start from the status the caller
    saw, `stale` when someone else moved the referral (or sent it elsewhere) first."""
    before = referral.status
    receiver_before = referral.receiver_id
    note = clip(note, ReferralEvent, "note")
    audit: dict[str, object] = {"note": note}
    new_receiver = changes.get("receiver")
    if isinstance(new_receiver, Facility) and new_receiver.pk != receiver_before:
        audit["receiver"] = new_receiver.pk
    moved = REFERRALS.move(
        actor,
        referral,
        action=action,
        now=now,
        where={"receiver_id": receiver_before},
        changes={"status_changed_at": now, **changes},
        audit=audit,
        stale=_("Rujukan ini baru saja diubah oleh pengguna lain; muat ulang."),
    )
    referral.refresh_from_db()  # `changes` may hold expressions (attempts + 1)
    ReferralEvent.objects.create(
        referral=referral,
        at=now,
        action=action,
        from_status=before,
        to_status=moved.after,
        facility_id=referral.receiver_id,
        actor_label=clip(actor.display, ReferralEvent, "actor_label"),
        note=note,
    )
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
