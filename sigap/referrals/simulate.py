"""`sigap simulate referrals --count N`: a busy stretch of referrals through the real services.

Puskesmas of the area send N referrals to a hospital from the recommendation; hospitals accept
(holding a bed when one of the room class is free) or refuse with a reason; some never answer
and the deadline sweep escalates them and proposes the next hospital, to which the referral is
redirected; patients arrive and are sent back with a back-referral. The stretch is replayed on
a clock that ends now (the services take `now`), so the deadlines and statistics are the same
as in real use. Every referral is marked synthetic.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sigap.core.errors import SigapError
from sigap.core.services import Actor
from sigap.facilities.models import Facility, Kind

from . import demo, selectors, services
from .models import Referral

DESCRIPTION = "Kirim, jawab, eskalasi dan tutup rujukan dengan layanan yang sebenarnya."
NO_ANSWER_SHARE = 0.08


def add_arguments(parser) -> None:
    parser.add_argument("--count", type=int, default=50, help="jumlah rujukan")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--area", default="", help="kode wilayah (bawaan SIGAP_AREA_CODE)")
    parser.add_argument(
        "--hold-share", type=float, default=0.5, help="bagian penerimaan yang menahan tempat tidur"
    )


def run(options: dict, log: Callable[[str], None]) -> dict:
    count = int(options.get("count") or 0)
    if not 1 <= count <= 100_000:
        raise ValueError("--count must be 1..100000")
    area = options.get("area") or settings.SIGAP_AREA_CODE
    rng = random.Random(int(options.get("seed") or 1))  # noqa: S311 - simulation
    hold_share = float(options.get("hold_share", 0.5))
    senders = list(
        Facility.objects.filter(
            kind_id=Kind.PUSKESMAS, is_active=True, village__code__startswith=area
        )
        .select_related("village")
        .order_by("pk")
    )
    if not senders:
        raise ValueError(f"no Puskesmas in area {area!r}: build the demo first (sigap demo)")
    actor = Actor.system("simulator")
    now = timezone.now()
    # two simulated minutes per referral, ending a few hours before now so the whole
    # stretch (answers, arrivals) lies in the past
    start = now - timedelta(minutes=2 * count) - timedelta(hours=4)
    stats: Counter = Counter()
    started = time.monotonic()
    selectors.reset_caches()
    for i in range(count):
        at = start + timedelta(minutes=2 * i, seconds=rng.randint(0, 119))
        sender = rng.choice(senders)
        try:
            with transaction.atomic():
                _one(rng, actor, sender, at, hold_share, stats)
        except SigapError as exc:
            stats["errors"] += 1
            log(f"referral {i}: {exc.message}")
        if i % 100 == 99:
            log(f"{i + 1}/{count} referrals")
    stats["escalated"] += services.escalate_overdue(now)["escalated"]
    return {
        "referrals": stats["referrals"],
        "answered": stats["accepted"] + stats["rejected"],
        "accepted": stats["accepted"],
        "rejected": stats["rejected"],
        "escalated": stats["escalated"],
        "redirected": stats["redirected"],
        "held_beds": stats["held"],
        "arrived": stats["arrived"],
        "closed": stats["closed"],
        "cancelled": stats["cancelled"],
        "errors": stats["errors"],
        "seconds": round(time.monotonic() - started, 1),
    }


def _one(rng, actor, sender, at, hold_share: float, stats: Counter) -> None:
    urgency = "emergency" if rng.random() < 0.4 else "elective"
    data = demo._input(rng, sender, sender, urgency)
    room = services.room_class_for(data.payer, data.bed_class or None, data.jkn_class)
    options = selectors.recommend(
        lat=sender.latitude,
        lon=sender.longitude,
        service=data.service,
        bed_class=room or "",
        exclude={sender.pk},
        limit=3,
        now=at,
    )
    if not options:
        stats["no_hospital"] += 1
        return
    data.receiver = options[0]["id"] if rng.random() < 0.75 else rng.choice(options)["id"]
    referral = services.send_referral(actor, data, now=at)
    Referral.objects.filter(pk=referral.pk).update(is_synthetic=True)
    stats["referrals"] += 1
    t = at
    for _attempt in range(4):
        if rng.random() < NO_ANSWER_SHARE:
            t = referral.answer_due_at + timedelta(seconds=30)
            stats["escalated"] += services.escalate_overdue(t)["escalated"]
            referral.refresh_from_db()
            if referral.status != "escalated" or referral.proposed is None:
                break
            t += timedelta(minutes=rng.randint(2, 10))
            referral = services.redirect_referral(actor, referral, referral.proposed, now=t)
            stats["redirected"] += 1
            continue
        t += demo._answer_delay(rng, urgency)
        if rng.random() < demo.BASE_ACCEPT:
            hold = referral.room_class_id is not None and rng.random() < hold_share
            try:
                with transaction.atomic():
                    referral = services.answer_referral(
                        actor, referral, accept=True, hold_bed=hold, now=t
                    )
                stats["held"] += int(hold)
            except SigapError:  # no free bed of the class: accept without holding one
                referral = services.answer_referral(actor, referral, accept=True, now=t)
            stats["accepted"] += 1
            break
        referral = services.answer_referral(
            actor, referral, accept=False, note="Tempat tidur penuh", now=t
        )
        stats["rejected"] += 1
        if referral.proposed is None:
            break
        t += timedelta(minutes=rng.randint(2, 10))
        referral = services.redirect_referral(actor, referral, referral.proposed, now=t)
        stats["redirected"] += 1
    if referral.status != "accepted":
        if referral.status in ("sent", "escalated", "rejected"):
            services.cancel_referral(actor, referral, reason="tidak ada RS", now=t)
            stats["cancelled"] += 1
        return
    t += timedelta(minutes=rng.randint(15, 60))
    referral = services.record_arrival(actor, referral, now=t)
    stats["arrived"] += 1
    t += timedelta(minutes=rng.randint(30, 180))
    services.close_referral(actor, referral, back_referral="Kontrol ke Puskesmas (simulasi)", now=t)
    stats["closed"] += 1
