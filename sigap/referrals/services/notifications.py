"""Who hears of a referral and how: in-app notifications (no patient data) and the SMS page
to a hospital's emergency phone after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sigap.core import notify as core_notify
from sigap.core.errors import SigapError
from sigap.core.models import User
from sigap.facilities.models import Facility, FacilityOperator

from ..models import Referral
from .rules import OFFICE_ROLES

log = logging.getLogger("sigap.referrals")


def _operators(facility: Facility | None) -> list[User]:
    if facility is None:
        return []
    ids = FacilityOperator.objects.filter(facility=facility).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))


def _office_users(region_code: str) -> list[User]:
    users = User.objects.filter(role__in=OFFICE_ROLES, is_active=True)
    return [u for u in users if u.covers_area(region_code)]


def _sender_users(referral: Referral) -> list[User | None]:
    return [referral.created_by, *_operators(referral.sender)]


def _link(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.public_id])


def _announce(
    users: Iterable[User | None], referral: Referral, kind: str, title: str, body: str = ""
) -> None:
    """In-app notifications; no patient data in the title or body (only the number)."""
    core_notify.notify(
        [u for u in users if u is not None],
        kind=kind,
        title=title,
        body=body,
        link=_link(referral),
        ref=referral.ref,
    )


def _page_hospital(referral: Referral, text: str) -> None:
    """An emergency referral also goes to the hospital's emergency phone (SMS channel) after
    the transaction commits; a failing channel must not undo the referral."""
    phone = referral.receiver.emergency_phone
    if not phone or referral.urgency != Referral.Urgency.EMERGENCY:
        return
    if referral.answer_due_at <= timezone.now():
        return  # replayed history (demo, imports): nobody to page any more

    def send() -> None:
        try:
            core_notify.send_external(
                "sms", phone, text, ref=referral.ref, payload={"referral": referral.number}
            )
        except SigapError as exc:
            log.warning("referral %s: SMS not sent: %s", referral.number, exc.message)

    transaction.on_commit(send)
