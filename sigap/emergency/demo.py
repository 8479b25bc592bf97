"""Emergency demo: one ambulance per kelurahan/desa ("Satu Ambulans, Satu Desa"), an
ambulance at each demo hospital with an ambulance service, a PMI post, the area's agencies,
response targets, and a few open incidents. Synthetic and labelled; built through the
services; deterministic and idempotent (units are keyed by code, incidents by a marker)."""

from __future__ import annotations

import os
from collections.abc import Callable

from django.utils import timezone

from sigap.core.demo import DEMO_OWNER_PREFIX, demo_rng
from sigap.core.models import Role, WebhookEndpoint
from sigap.core.services import Actor
from sigap.core.text import clip
from sigap.facilities.demo import ensure_demo_account
from sigap.facilities.models import Facility, Kind
from sigap.regions.models import Region

from . import selectors, services
from .models import Agency, AreaSettings, Incident, Unit

DEMO_MARK = "[demo sintetis]"
EQUIPMENT_GD = ["oksigen", "AED", "suction", "bidai", "tandu", "monitor"]
EQUIPMENT_TR = ["oksigen", "tandu", "kotak P3K"]
AGENCIES = [
    ("psc119", "PSC 119 {name} (demo)", "119"),
    ("police", "Polres {name} (demo)", "110"),
    ("fire", "Damkar {name} (demo)", "113"),
    ("pmi", "PMI {name} (demo)", "021-0000"),
    ("bpbd", "BPBD {name} (demo)", "021-0001"),
]
# Partner agencies with a dispatch system of their own get a signed webhook. In the demo that
# system is played by `sigap simulate emergency`, which listens on this loopback port, checks
# the signature and acknowledges through the signed partner API; without it running, the
# deliveries wait and retry as they would for a partner that is down.
PARTNER_KINDS = ("police", "fire", "pmi", "bpbd")
PARTNER_OWNER = f"{DEMO_OWNER_PREFIX}: mitra dimainkan simulator"


def partner_port() -> int:
    return int(os.environ.get("SIGAP_DEMO_PARTNER_PORT", "18119"))


# (category, triage, answers, victims, village index, state)
INCIDENTS = [
    ("traffic", "merah", {"terjepit": True}, 2, 3, "open"),
    ("medical", "kuning", {"nyeri_hebat": True}, 1, 17, "open"),
    ("medical", "merah", {"nyeri_dada": True}, 1, 40, "dispatched"),
    ("fire", "kuning", {"asap": True}, 3, 90, "handoff"),
]


def build(area: Region, log: Callable[[str], None]) -> list[str]:
    actor = Actor.system("demo")
    code = area.code
    regency_codes = (
        [code]
        if area.level == 2
        else list(
            Region.objects.filter(level=2, code__startswith=code).values_list("code", flat=True)
        )
    )
    AreaSettings.objects.get_or_create(
        area_code=code, defaults={"urban_target_min": 15, "rural_target_min": 30}
    )
    for rc in regency_codes:
        name = Region.objects.get(code=rc).name
        for kind, pattern, phone in AGENCIES:
            agency, _created = Agency.objects.get_or_create(
                area_code=rc,
                kind=kind,
                name=pattern.format(name=name),
                defaults={"phone": phone, "is_synthetic": True},
            )
            if kind in PARTNER_KINDS and agency.webhook_id is None:
                _partner_endpoint(agency)
    units = _build_units(actor, code)
    crew = ensure_demo_account("demo-crew", Role.AMBULANCE_CREW, code[:4])
    first = Unit.objects.filter(code__startswith="AMB-", area_code__startswith=code[:4]).first()
    if first is not None:
        first.crew.add(crew)
        Unit.objects.filter(pk=first.pk).update(crew_on_shift="demo-crew (sintetis)")
    psc = ensure_demo_account("demo-psc", Role.PSC_CALL_TAKER, code[:4])
    dispatcher = ensure_demo_account("demo-dispatcher", Role.DISPATCHER, code[:4])
    opened = _build_incidents(code, psc, dispatcher, first)
    selectors.reset_unit_index()
    log(f"emergency: {units} ambulances, {opened} new demo incidents")
    return [
        f"Gawat darurat: {units} ambulans sintetis (satu per kelurahan + RS + PMI); "
        f"call-taker demo-psc -> /gawat-darurat/panggilan/, dispatcher demo-dispatcher -> "
        f"/gawat-darurat/dispatcher/, kru demo-crew ({first.code if first else '-'}) -> "
        f"/gawat-darurat/kru/, SOS publik /sos/; "
        f"`sigap simulate emergency --calls 40 --speed 1` menggerakkan konsol "
        f"(RS menjawab serah terima di /rujukan/masuk/; polisi, damkar, PMI dan BPBD demo "
        f"menerima serah terima lewat webhook bertanda tangan di 127.0.0.1:{partner_port()} "
        f"dan menjawab lewat API mitra selama simulator berjalan).",
    ]


def _build_units(actor: Actor, area_code: str) -> int:
    count = 0
    villages = Region.objects.filter(
        level=4, code__startswith=area_code, latitude__isnull=False
    ).order_by("code")
    for i, v in enumerate(villages):
        rnd = demo_rng("unit", v.code)
        kind = "gawat_darurat" if i % 2 == 0 else "transport"
        services.save_unit(
            actor,
            services.UnitInput(
                code=f"AMB-{v.code}",
                name=f"Ambulans {v.name}",
                kind=kind,
                base_kind="village",
                base_village=v.code,
                area_code=v.code[:4],
                latitude=round(v.latitude + rnd.uniform(-0.002, 0.002), 6),
                longitude=round(v.longitude + rnd.uniform(-0.002, 0.002), 6),
                equipment=EQUIPMENT_GD if kind == "gawat_darurat" else EQUIPMENT_TR,
                crew_on_shift="2 kru (sintetis)",
                phone="",
                is_synthetic=True,
            ),
        )
        count += 1
    hospitals = Facility.objects.filter(
        is_synthetic=True,
        kind_id=Kind.HOSPITAL,
        village__code__startswith=area_code,
        services__code="ambulans",
    ).order_by("bpjs_kodeppk")
    for h in hospitals:
        services.save_unit(
            actor,
            services.UnitInput(
                code=f"RS-{h.bpjs_kodeppk}",
                name=f"Ambulans {h.name}",
                kind="gawat_darurat",
                base_kind="hospital",
                base_village=h.village_id,
                area_code=h.village_id[:4],
                base_facility=h,
                latitude=h.latitude,
                longitude=h.longitude,
                equipment=EQUIPMENT_GD + ["ventilator"],
                crew_on_shift="3 kru (sintetis)",
                phone=h.emergency_phone,
                is_synthetic=True,
            ),
        )
        count += 1
    first_village = villages.first()
    if first_village is not None:
        services.save_unit(
            actor,
            services.UnitInput(
                code=f"PMI-{area_code}",
                name="Ambulans Pos PMI (demo)",
                kind="transport",
                base_kind="pmi",
                base_village=first_village.code,
                area_code=first_village.code[:4],
                latitude=first_village.latitude,
                longitude=first_village.longitude,
                equipment=EQUIPMENT_TR,
                crew_on_shift="2 relawan (sintetis)",
                is_synthetic=True,
            ),
        )
        count += 1
    return count


def _partner_endpoint(agency: Agency) -> None:
    """The agency's (simulated) dispatch system: a loopback URL with its own secret. The URL
    follows the agency (re-created by a rebuilt demo) and the current partner port."""
    endpoint, _created = WebhookEndpoint.objects.update_or_create(
        name=clip(f"Demo {agency.name}", WebhookEndpoint, "name"),
        owner_label=PARTNER_OWNER,
        defaults={
            "url": f"http://127.0.0.1:{partner_port()}/mitra/{agency.public_id}",
            "events": ["incident.handover"],
        },
    )
    Agency.objects.filter(pk=agency.pk).update(webhook=endpoint)


def _build_incidents(area_code: str, psc, dispatcher, crew_unit: Unit | None) -> int:
    if Incident.objects.filter(
        notes__startswith=DEMO_MARK,
        status__in=services.ACTIVE_INCIDENT,
        area_code__startswith=area_code[:4],
    ).exists():
        return 0
    villages = list(
        Region.objects.filter(level=4, code__startswith=area_code, latitude__isnull=False).order_by(
            "code"
        )
    )
    if not villages:
        return 0
    psc_actor, disp_actor = Actor(psc, "demo"), Actor(dispatcher, "demo")
    opened = 0
    for n, (category, triage, answers, victims, vi, state) in enumerate(INCIDENTS):
        v = villages[vi % len(villages)]
        rnd = demo_rng("incident", v.code, n)
        inc = services.create_incident(
            psc_actor,
            services.IncidentInput(
                latitude=v.latitude + rnd.uniform(-0.003, 0.003),
                longitude=v.longitude + rnd.uniform(-0.003, 0.003),
                caller_phone=f"08{rnd.randrange(10**9, 10**10)}",
                caller_name="Penelepon (sintetis)",
                category=category,
                triage=triage,
                triage_answers=answers,
                victims=victims,
                address=f"Jl. Contoh No. {rnd.randint(1, 99)}, {v.name}",
                notes=f"{DEMO_MARK} kejadian contoh",
            ),
            now=timezone.now(),
        )
        opened += 1
        if state in ("dispatched", "handoff"):
            recs = selectors.recommend_for_incident(inc, n=1)
            if not recs:
                continue
            unit = Unit.objects.get(pk=recs[0]["pk"])
            if (
                state == "dispatched"
                and crew_unit is not None
                and crew_unit.status == Unit.Status.AVAILABLE
            ):
                unit = crew_unit  # the demo crew has a job to show
            services.assign_unit(disp_actor, inc, unit)
            if state == "handoff":
                services.move_unit(disp_actor, unit, "en_route")
                hospitals = selectors.recommend_hospitals(inc, n=1)
                if hospitals:
                    h = Facility.objects.get(public_id=hospitals[0]["id"])
                    services.create_handoff(
                        disp_actor,
                        inc,
                        h,
                        summary="Sesak karena asap (sintetis)",
                        bed_class=hospitals[0]["bed_class"],
                        hold_bed=True,
                    )
    return opened
