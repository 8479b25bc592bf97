"""Hand-built data for the situation page: Jawa Tengah with Kota Semarang (3374) and Kota
Magelang (3371), a hospital in each, and helpers that write rows of every capability."""

import itertools
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from sigap.beds import selectors as bed_selectors
from sigap.beds import services as bed_services
from sigap.core.services import Actor

_seq = itertools.count(1)
SEMARANG_KEL = "3374011001"
MAGELANG_KEL = "3371011001"


@pytest.fixture
def province(db):
    from sigap.regions.models import Region

    Region.objects.create(code="33", level=1, name="Jawa Tengah", utc_offset=7)
    for kab, kab_name, kec, kec_name, kel, kel_name in [
        ("3374", "Kota Semarang", "337401", "Semarang Tengah", SEMARANG_KEL, "Miroto"),
        ("3371", "Kota Magelang", "337101", "Magelang Selatan", MAGELANG_KEL, "Jurangombo"),
    ]:
        Region.objects.create(code=kab, level=2, parent_id="33", name=kab_name, kind="kota")
        Region.objects.create(code=kec, level=3, parent_id=kab, name=kec_name)
        Region.objects.create(code=kel, level=4, parent_id=kec, name=kel_name, kind="kelurahan",
                              latitude=-6.98, longitude=110.41)  # fmt: skip
    bed_selectors.reset_snapshot()
    yield
    bed_selectors.reset_snapshot()


def hospital(name: str, village: str = SEMARANG_KEL):
    from sigap.facilities.models import Facility

    n = next(_seq)
    return Facility.objects.create(
        name=name, kind_id="rs", ownership="private", hospital_class="C",
        bpjs_kodeppk=f"33R9{n:04d}", village_id=village, latitude=-6.98, longitude=110.41,
    )  # fmt: skip


def room(facility, code: str, cls: str, capacity: int, free: int) -> None:
    data = bed_services.RoomInput(bed_class=cls, code=code, name=f"Ruang {code}",
                                  capacity=capacity, free=free)  # fmt: skip
    bed_services.upsert_room(Actor.system("test"), facility, data, source="api")
    bed_selectors.reset_snapshot()


def incident(
    area: str = "3374",
    *,
    triage: str = "merah",
    status: str = "open",
    received_at=None,
    on_scene_after: float | None = None,
    village=SEMARANG_KEL,
):
    from sigap.emergency.models import Incident

    received_at = received_at or timezone.now() - timedelta(minutes=30)
    on_scene = received_at + timedelta(minutes=on_scene_after) if on_scene_after else None
    return Incident.objects.create(
        number=f"T{next(_seq):06d}", area_code=area, latitude=-6.98, longitude=110.41,
        village_id=village, category="medical", triage=triage, status=status,
        received_at=received_at, on_scene_at=on_scene,
        dispatched_at=received_at + timedelta(minutes=1) if on_scene else None,
    )  # fmt: skip


def unit(area: str = "3374", status: str = "available", village=SEMARANG_KEL):
    from sigap.emergency.models import Unit

    n = next(_seq)
    return Unit.objects.create(
        code=f"AMB-{n}", name=f"Ambulans {n}", area_code=area, kind="gawat_darurat",
        base_kind="village", base_village_id=village, base_latitude=-6.98,
        base_longitude=110.41, latitude=-6.98, longitude=110.41, status=status,
    )  # fmt: skip


def referral(receiver, *, status: str = "sent", due_in_minutes: int = 30):
    from sigap.referrals.models import Referral, ReferralReason

    now = timezone.now()
    return Referral.objects.create(
        number=f"R{next(_seq):08d}", kind=2, status=status, status_changed_at=now,
        urgency="emergency", payer="general", sender_label="Puskesmas Uji", receiver=receiver,
        patient_name="Pasien Uji", diagnosis_code="A09", diagnosis_name="Diare",
        reason=ReferralReason.objects.first(),
        answer_due_at=now + timedelta(minutes=due_in_minutes),
    )  # fmt: skip


def visit(village: str, day: date, status: str):
    from sigap.facilities.models import Facility
    from sigap.homecare.models import CarePlan, HomecareRequest, TargetGroup, Visit, Worker

    n = next(_seq)
    pk = Facility.objects.create(name=f"Puskesmas {n}", kind_id="puskesmas", ownership="public",
                                 village_id=village, latitude=-6.98, longitude=110.41)  # fmt: skip
    req = HomecareRequest.objects.create(
        nik="3374014501800003", name="Warga", phone="0811", address="Jl. Uji", village_id=village,
        latitude=-6.98, longitude=110.41, need="kontrol", target_group=TargetGroup.objects.first(),
        facility=pk, source="staff",
    )  # fmt: skip
    plan = CarePlan.objects.create(
        request=req, facility=pk, frequency_days=7, skill="nurse", visit_minutes=30,
        preferred_start=time(8), preferred_end=time(12), priority=1, start_date=day, next_due=day,
    )  # fmt: skip
    worker = Worker.objects.create(facility=pk, name=f"Perawat {n}", shift_start=time(7),
                                   shift_end=time(15))  # fmt: skip
    needs_worker = status in ("planned", "started", "done")
    return Visit.objects.create(care_plan=plan, facility=pk, date=day, status=status,
                                worker=worker if needs_worker else None)  # fmt: skip


def growth(month: date, kelurahan: str, *, haz_n: int, stunted: int, whz_n: int, wasted: int):
    from sigap.nutrition.models import GrowthMonthly

    return GrowthMonthly.objects.create(
        month=month, kelurahan_code=kelurahan, measured=max(haz_n, whz_n), haz_n=haz_n,
        stunted=stunted, whz_n=whz_n, wasted=wasted,
    )  # fmt: skip


def birth(day: date, kelurahan: str = SEMARANG_KEL):
    from sigap.nutrition.models import Birth

    return Birth.objects.create(born_on=day, outcome="live", kelurahan_code=kelurahan)


def death(day: date, kind: str = "infant", kelurahan: str = SEMARANG_KEL, **kw):
    from sigap.nutrition.models import Death

    return Death.objects.create(kind=kind, died_on=day, kelurahan_code=kelurahan,
                                age_days=kw.pop("age_days", 100 if kind == "infant" else None),
                                timing=kw.pop("timing", "delivery" if kind == "maternal" else ""),
                                **kw)  # fmt: skip


def local(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def analyst(make_user, province):
    return make_user("analis-kota", "analyst", area_code="3374")


@pytest.fixture
def provincial(make_user, province):
    return make_user("analis-prov", "analyst", area_code="33")
