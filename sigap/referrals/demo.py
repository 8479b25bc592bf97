"""Referrals demo: 60 days of synthetic referrals between the demo Puskesmas and hospitals
(answered, redirected, escalated, closed with a back-referral), and a live morning: referrals
waiting in the demo hospitals' inboxes with running clocks, escalations for the health office,
accepted ones with a held bed, one arrived patient waiting for the back-referral.

Everything goes through the services with past `now` values, so the events, answers, daily
statistics and the audit trail are the same as in real use. One demo hospital is made to
accept JKN PBI patients less often, so that the payer-fairness report has something to flag.
Deterministic (seeded by the area code) and idempotent (nothing is added when the demo
referrals exist). Synthetic: patients are invented, `is_synthetic` is set, the NIKs are
well-formed but invented.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from sigap.core.demo import demo_rng
from sigap.core.errors import SigapError
from sigap.core.models import Notification
from sigap.core.services import Actor
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region

from . import selectors, services
from .models import Referral

HISTORY_DAYS = 60
HISTORY_COUNT = 420
BIASED_PBI_ACCEPT = 0.3  # the one demo hospital that treats JKN PBI patients worse
BASE_ACCEPT = 0.86
SISRUTE_PASSWORD = "sigap-demo-2026"  # noqa: S105 - published demo password

FIRST = [
    "Siti",
    "Budi",
    "Ani",
    "Agus",
    "Dewi",
    "Rina",
    "Joko",
    "Sri",
    "Wahyu",
    "Lestari",
    "Eko",
    "Fitri",
    "Hendra",
    "Indah",
    "Yanto",
    "Ratna",
    "Bambang",
    "Nur",
    "Dian",
    "Tono",
]
LAST = ["Contoh", "Sintetis", "Demo", "Percobaan", "Rekaan"]
# (service, bed class asked, ICD-10, reason, anamnesis)
NEEDS = [
    ("icu", "ICU", "I21.9", "SP", "Nyeri dada kiri menjalar, keringat dingin"),
    ("icu", "ICU", "J96.0", "SR", "Sesak berat, saturasi 85%"),
    ("rawat_inap", "KL1", "A97.1", "SP", "Demam 4 hari, trombosit 60.000"),
    ("rawat_inap", "KL3", "J18.9", "TT", "Batuk, demam, ronki basah"),
    ("rawat_inap", "VIP", "K35.8", "SP", "Nyeri perut kanan bawah"),
    ("obstetri", "SAL", "O14.1", "GD", "Hamil 36 minggu, tensi 170/110"),
    ("obstetri", "SAL", "O72.1", "GD", "Perdarahan pasca persalinan"),
    ("rawat_inap", "KL2", "E11.9", "SP", "Gula darah 450, lemas"),
    ("stroke", "HCU", "I63.9", "SP", "Kelemahan sisi kanan mendadak"),
    ("rawat_jalan", "", "H25.9", "SP", "Penglihatan kabur bertahap"),
]
PAYERS = [("jkn_pbi", 0.42), ("jkn_non_pbi", 0.33), ("general", 0.2), ("private", 0.05)]


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    x, acc = rng.random(), 0.0
    for value, w in weighted:
        acc += w
        if x < acc:
            return value
    return weighted[-1][0]


def _nik(rng: random.Random, kecamatan: str, sex: str) -> str:
    day = rng.randint(1, 28) + (40 if sex == "P" else 0)
    month, year, serial = rng.randint(1, 12), rng.randint(50, 99), rng.randint(1, 9999)
    return f"{kecamatan}{day:02d}{month:02d}{year:02d}{serial:04d}"


def _input(
    rng: random.Random, sender: Facility, receiver: Facility, urgency: str
) -> services.ReferralInput:
    service, bed_class, dx, reason, anamnesis = rng.choice(NEEDS)
    if urgency == "emergency" and service == "rawat_jalan":
        service, bed_class, dx, reason, anamnesis = NEEDS[0]
    payer = _pick(rng, PAYERS)
    sex = "P" if service == "obstetri" else rng.choice("LP")
    kecamatan = sender.village_id[:6]
    return services.ReferralInput(
        sender=str(sender.public_id),
        receiver=str(receiver.public_id),
        kind=1 if service == "rawat_jalan" else 2,
        urgency=urgency,
        payer=payer,
        patient_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        patient_nik=_nik(rng, kecamatan, sex),
        patient_jkn=f"000{rng.randint(10**9, 10**10 - 1)}" if payer.startswith("jkn") else "",
        patient_sex=sex,
        patient_contact=f"08{rng.randint(10**9, 10**10 - 1)}",
        patient_address=f"Alamat contoh {rng.randint(1, 99)}, {sender.village.name}",
        diagnosis=dx,
        reason=reason,
        anamnesis=anamnesis + " (data demo sintetis)",
        consciousness=1,
        blood_pressure=f"{rng.randint(100, 170)}/{rng.randint(60, 110)}",
        pulse=rng.randint(60, 130),
        temperature=f"{rng.uniform(36.2, 39.5):.1f}",
        respiration=rng.randint(14, 32),
        pain=rng.randint(0, 3),
        allergies="-",
        service=service,
        bed_class=bed_class,
        jkn_class=rng.choice(["KL1", "KL2", "KL3"]) if payer == "jkn_non_pbi" else "",
        doctor_name="dr. Contoh",
    )


def _choose(
    rng: random.Random,
    sender: Facility,
    data: services.ReferralInput,
    at: datetime,
    exclude: set[int],
    biased_pk: int | None,
) -> Facility | None:
    room = services.room_class_for(data.payer, data.bed_class or None, data.jkn_class)
    options = selectors.recommend(
        lat=sender.latitude,
        lon=sender.longitude,
        service=data.service,
        bed_class=room or "",
        exclude=exclude | {sender.pk},
        limit=30,
        now=at,
    )
    if not options:
        return None
    biased = [o for o in options if o["facility_id"] == biased_pk]
    if biased and rng.random() < 0.3:
        choice = biased[0]  # a busy hospital: many Puskesmas send there
    else:
        choice = options[0] if rng.random() < 0.7 else rng.choice(options[:4])
    return Facility.objects.get(pk=choice["facility_id"])


def _accepts(rng: random.Random, hospital: Facility, payer: str, biased_pk: int | None) -> bool:
    if hospital.pk == biased_pk and payer == "jkn_pbi":
        return rng.random() < BIASED_PBI_ACCEPT
    return rng.random() < BASE_ACCEPT


def _answer_delay(rng: random.Random, urgency: str) -> timedelta:
    mean = 6 if urgency == "emergency" else 150
    return timedelta(minutes=max(0.5, rng.expovariate(1 / mean)))


def _history_one(rng, actor, sender, at, biased_pk, now) -> str:
    """One past referral, from sending to back-referral (or cancellation)."""
    urgency = "emergency" if rng.random() < 0.4 else "elective"
    data = _input(rng, sender, sender, urgency)
    tried: set[int] = set()
    receiver = _choose(rng, sender, data, at, tried, biased_pk)
    if receiver is None:
        return "skipped"
    data.receiver = str(receiver.public_id)
    referral = services.send_referral(actor, data, now=at)
    referral.is_synthetic = True
    Referral.objects.filter(pk=referral.pk).update(is_synthetic=True)
    t = at
    for _attempt in range(4):
        tried.add(referral.receiver_id)
        if rng.random() < 0.06:  # no answer in time: the sweep escalates
            t = referral.answer_due_at + timedelta(minutes=1)
            services.escalate_overdue(t)
            referral.refresh_from_db()
            target = referral.proposed
            if target is None:
                services.cancel_referral(actor, referral, reason="tidak ada RS", now=t)
                return "cancelled"
            t += timedelta(minutes=rng.randint(3, 20))
            referral = services.redirect_referral(actor, referral, target, now=t)
            continue
        t = t + _answer_delay(rng, urgency)
        if _accepts(rng, referral.receiver, referral.payer, biased_pk):
            referral = services.answer_referral(actor, referral, accept=True, now=t)
            break
        referral = services.answer_referral(
            actor, referral, accept=False, note="Tempat tidur penuh", now=t
        )
        target = referral.proposed
        if target is None:
            services.cancel_referral(actor, referral, reason="tidak ada RS", now=t)
            return "cancelled"
        t += timedelta(minutes=rng.randint(2, 15))
        referral = services.redirect_referral(actor, referral, target, now=t)
    else:
        services.cancel_referral(actor, referral, reason="dibatalkan", now=t)
        return "cancelled"
    t += timedelta(minutes=rng.randint(15, 90))
    referral = services.record_arrival(actor, referral, now=t)
    t += timedelta(hours=rng.randint(4, 96))
    if t < now:
        services.close_referral(
            actor,
            referral,
            back_referral="Kontrol ke Puskesmas 1 minggu; obat dilanjutkan. (data demo sintetis)",
            now=t,
        )
    return "closed"


def build(area: Region, log: Callable[[str], None]) -> list[str]:
    actor = Actor.system("demo")
    code = area.code
    hospitals = list(
        Facility.objects.filter(
            is_synthetic=True, kind_id=Kind.HOSPITAL, village__code__startswith=code
        ).order_by("bpjs_kodeppk")
    )
    puskesmas = list(
        Facility.objects.filter(
            is_synthetic=True, kind_id=Kind.PUSKESMAS, village__code__startswith=code
        )
        .select_related("village")
        .order_by("kemenkes_code")
    )
    if len(hospitals) < 3 or not puskesmas:
        return []
    lines = _credentials(actor, hospitals[0], puskesmas[0])
    if Referral.objects.filter(is_synthetic=True, receiver__in=hospitals).exists():
        return lines + [_summary(hospitals)]
    rng = demo_rng("referrals", code)
    now = timezone.now()
    biased = hospitals[2]
    selectors.reset_caches()
    outcomes: dict[str, int] = {}
    start = now - timedelta(days=HISTORY_DAYS)
    times = sorted(
        start + timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400 - 6 * 3600))
        for _ in range(HISTORY_COUNT)
    )
    log(f"referrals: {HISTORY_COUNT} referrals over {HISTORY_DAYS} days ...")
    for i, at in enumerate(times):
        sender = rng.choice(puskesmas[:12] if i % 3 else puskesmas)
        try:
            with transaction.atomic():
                outcome = _history_one(rng, actor, sender, at, biased.pk, now)
        except SigapError as exc:
            outcome = f"error: {exc.message}"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if i % 50 == 49:
            selectors.reset_caches()  # let the statistics follow the history
    _live_morning(rng, actor, hospitals, puskesmas, now)
    # the history's notifications are old news: mark them read
    old = Referral.objects.filter(is_synthetic=True, created_at__lt=now - timedelta(hours=6))
    Notification.objects.filter(ref__in=[r.ref for r in old]).update(read_at=now)
    selectors.reset_caches()
    log(f"referrals: history {outcomes}")
    return lines + [
        _summary(hospitals),
        f"Rujukan: RS yang dibuat kurang adil terhadap JKN PBI (sintetis): {biased.name}",
    ]


def _live_morning(rng, actor, hospitals, puskesmas, now) -> None:
    """Open work for the demo logins: demo-operator-rs1/rs2 inboxes, the office's escalations."""
    plan = [
        # (hospital index, minutes ago, urgency, then)
        (0, 2, "emergency", "open"),
        (0, 6, "emergency", "open"),
        (0, 40, "elective", "open"),
        (0, 180, "elective", "open"),
        (1, 4, "emergency", "open"),
        (1, 300, "elective", "open"),
        (0, 30, "emergency", "escalate"),
        (1, 25, "emergency", "escalate"),
        (3, 35, "emergency", "escalate"),
        (2, 50, "elective", "reject"),
        (0, 20, "emergency", "accept_hold"),
        (1, 15, "emergency", "accept_hold"),
        (0, 90, "emergency", "arrived"),
    ]
    for i, (h, minutes, urgency, then) in enumerate(plan):
        sender = puskesmas[i % len(puskesmas)]
        at = now - timedelta(minutes=minutes)
        data = _input(rng, sender, hospitals[h], urgency)
        if then == "accept_hold" and data.bed_class in ("", "VIP"):
            data.bed_class, data.service = "KL3", "rawat_inap"
        try:
            with transaction.atomic():
                r = services.send_referral(actor, data, now=at)
                Referral.objects.filter(pk=r.pk).update(is_synthetic=True)
                if then == "reject":
                    services.answer_referral(
                        actor,
                        r,
                        accept=False,
                        note="Dokter spesialis cuti",
                        now=at + timedelta(minutes=8),
                    )
                elif then in ("accept_hold", "arrived"):
                    r = services.answer_referral(
                        actor,
                        r,
                        accept=True,
                        hold_bed=then == "accept_hold",
                        now=at + timedelta(minutes=3),
                    )
                    if then == "arrived":
                        services.record_arrival(actor, r, now=at + timedelta(minutes=45))
        except SigapError:
            continue  # e.g. no free bed of that class right now: the demo goes on
    services.escalate_overdue(now)


def _credentials(actor: Actor, hospital: Facility, puskesmas: Facility) -> list[str]:
    services.set_sisrute_password(actor, hospital, "demo-sisrute-rs1", SISRUTE_PASSWORD)
    services.set_sisrute_password(actor, puskesmas, "demo-sisrute-pkm", SISRUTE_PASSWORD)
    return [
        f"SISRUTE (base URL /sisrute/): cons-id demo-sisrute-pkm ({puskesmas.name}) and "
        f"demo-sisrute-rs1 ({hospital.name}), password {SISRUTE_PASSWORD}",
    ]


def _summary(hospitals: list[Facility]) -> str:
    qs = Referral.objects.filter(is_synthetic=True, receiver__in=hospitals)
    open_ = qs.filter(status__in=("sent", "escalated")).count()
    return (
        f"Rujukan demo (sintetis): {qs.count()} rujukan, {open_} menunggu jawaban; "
        "inbox /rujukan/masuk/ (demo-operator-rs1/rs2), kirim /rujukan/kirim/ "
        "(demo-puskesmas), eskalasi dan laporan penjamin /dinkes/rujukan/ (demo-dinkes)"
    )
