"""A referral's bed hold, taken and released through the beds capability's services."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from sigap.beds import services as bed_services
from sigap.core.errors import InvalidInput
from sigap.core.services import Actor

from ..models import Referral


def _hold_for(actor: Actor, referral: Referral, *, now: datetime, minutes: int | None) -> Referral:
    if referral.room_class_id is None:
        raise InvalidInput(_("Pilih kelas tempat tidur yang dibutuhkan."), field="bed_class")
    hold = bed_services.hold_bed(
        actor,
        referral.receiver,
        referral.room_class_id,
        ref=referral.ref,
        minutes=minutes,
        sex=referral.patient_sex or None,
        now=now,
    )
    Referral.objects.filter(pk=referral.pk).update(bed_hold=hold, updated_at=now)
    referral.bed_hold = hold
    return referral


def _release_hold(actor: Actor, referral: Referral, now: datetime, reason: str) -> None:
    bed_services.finish_hold(actor, referral.bed_hold, arrived=False, reason=reason, now=now)
