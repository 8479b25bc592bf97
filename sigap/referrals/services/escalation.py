"""What happens to referrals nobody acts on: the worker's sweep escalates unanswered ones to
the health office with the next hospital proposed, and expires accepted ones whose patient
never arrived."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sigap.core.errors import Conflict
from sigap.core.services import Actor
from sigap.facilities.models import Facility

from .. import selectors
from ..models import Referral, ReferralAnswer, ReferralEvent
from .holds import _release_hold
from .notifications import _announce, _office_users, _sender_users
from .rules import S, arrival_hours
from .workflow import _move, _record_answer


def tried_facility_ids(referral: Referral) -> set[int]:
    return set(
        ReferralEvent.objects.filter(referral=referral, facility__isnull=False).values_list(
            "facility_id", flat=True
        )
    )


def _propose_next(referral: Referral, now: datetime) -> Facility | None:
    """The best hospital not yet tried, by the same ranking the sender saw."""
    origin = referral.sender or referral.receiver
    options = selectors.recommend(
        lat=origin.latitude,
        lon=origin.longitude,
        service=referral.service_id or "",
        bed_class=referral.room_class_id or "",
        exclude=tried_facility_ids(referral)
        | ({referral.sender_id} if referral.sender_id else set()),
        limit=1,
        now=now,
        diagnosis=referral.diagnosis_code,
        urgency=referral.urgency,
    )
    if not options:
        return None
    return Facility.objects.filter(pk=options[0]["facility_id"]).first()


def escalate_overdue(now: datetime | None = None) -> dict[str, int]:
    """The worker's sweep: referrals past their answer deadline go to the health office with
    the next hospital proposed; accepted referrals whose patient never arrived expire."""
    now = now or timezone.now()
    actor = Actor.system("referral-sla")
    escalated = expired = 0
    overdue = Referral.objects.filter(status=S.SENT, answer_due_at__lte=now).select_related(
        "receiver", "sender"
    )
    for referral in overdue.order_by("answer_due_at")[:500]:
        try:
            with transaction.atomic():
                proposal = _propose_next(referral, now)
                referral = _move(
                    actor,
                    referral,
                    "escalate",
                    now=now,
                    note=_("tidak dijawab dalam batas waktu"),
                    escalated_at=now,
                    proposed=proposal,
                )
                _record_answer(referral, ReferralAnswer.Outcome.TIMEOUT, now)
                title = _("Eskalasi: rujukan %(no)s ke %(rs)s belum dijawab") % {
                    "no": referral.number,
                    "rs": referral.receiver.name,
                }
                body = (
                    _("Usulan rumah sakit berikutnya: %(rs)s") % {"rs": proposal.name}
                    if proposal
                    else _("Tidak ada rumah sakit lain yang sesuai.")
                )
                _announce(
                    [*_office_users(referral.receiver.village_id), *_sender_users(referral)],
                    referral,
                    "referral.escalated",
                    title,
                    body,
                )
            escalated += 1
        except Conflict:
            continue  # answered at the last moment
    stale = Referral.objects.filter(
        status=S.ACCEPTED, answered_at__lte=now - timedelta(hours=arrival_hours())
    ).select_related("receiver", "sender", "bed_hold")
    for referral in stale[:500]:
        try:
            with transaction.atomic():
                referral = _move(actor, referral, "expire", now=now, note=_("pasien tidak tiba"))
                _release_hold(actor, referral, now, "expired")
            expired += 1
        except Conflict:
            continue
    return {"escalated": escalated, "expired": expired}
