"""A referral's bed hold, taken and released through the beds capability's services."""

from __future__ import annotations

import contextlib
from datetime import datetime

from django.utils.translation import gettext as _

from sigap.beds import services as bed_services
from sigap.beds.models import BedHold
from sigap.core.errors import Conflict, InvalidInput
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
    hold = referral.bed_hold
    if hold is None or hold.status != BedHold.Status.HELD:
        return
    with contextlib.suppress(Conflict):  # it expired or ended meanwhile
        bed_services.end_hold(actor, hold, BedHold.Status.RELEASED, reason=reason, now=now)
