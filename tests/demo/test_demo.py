"""`sigap demo` builds Kota Semarang: counts, accounts, rooms, history, staleness, reruns."""

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from sigap.beds import selectors
from sigap.beds.models import AplicareCredential, BedUpdate, Room, SirsCredential
from sigap.core.models import Role, User
from sigap.facilities import services as fs
from sigap.facilities.models import Facility
from sigap.regions.models import Region


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Build the Semarang demo once for this module (it commits; wiped at the end)."""
    out = StringIO()
    with django_db_blocker.unblock():
        call_command("demo", "--area", "3374", stdout=out)
    yield out.getvalue()
    with django_db_blocker.unblock():
        from sigap.core.models import AuditEvent
        from sigap.demo.services import wipe_demo

        wipe_demo()
        # the capabilities' synthetic people refer to regions; clear them before the regions
        for label in ("nutrition", "homecare", "emergency", "referrals", "coverage"):
            for model in reversed(list(apps.get_app_config(label).get_models())):
                model.objects.all().delete()
        Region.objects.all().delete()
        AuditEvent.objects.all().delete()
    selectors.reset_snapshot()


@pytest.fixture
def dbx(demo, db):
    selectors.reset_snapshot()
    return demo


def test_regions_of_the_province_are_loaded(dbx):
    assert Region.objects.filter(level=3, parent_id="3374").count() == 16
    assert Region.objects.filter(level=4, code__startswith="3374").count() == 177


def test_facility_counts(dbx):
    demo = Facility.objects.filter(is_synthetic=True, village__code__startswith="3374")
    hospitals = demo.filter(kind_id="rs")
    assert 28 <= hospitals.count() <= 32
    assert all("(demo)" in n for n in demo.values_list("name", flat=True))
    assert set(hospitals.values_list("hospital_class", flat=True)) == {"A", "B", "C", "D"}
    assert set(hospitals.values_list("ownership", flat=True)) == {"public", "private"}
    assert all(k.startswith("3374R0") for k in hospitals.values_list("bpjs_kodeppk", flat=True))
    assert all(p.startswith("(024) 555-") for p in hospitals.values_list("phone", flat=True))
    puskesmas = demo.filter(kind_id="puskesmas")
    assert puskesmas.count() == 37
    # at least one Puskesmas per kecamatan, catchments cover every kelurahan exactly once
    assert puskesmas.values("village__parent_id").distinct().count() == 16
    codes = [c for p in puskesmas for c in p.catchment.values_list("code", flat=True)]
    assert len(codes) == len(set(codes)) == 177
    for p in puskesmas:
        n = p.satellites.count()
        assert 1 <= n <= 3
        assert all(
            c.startswith(p.village.parent_id) for c in p.catchment.values_list("code", flat=True)
        )
    pustu = demo.filter(kind_id="pustu")
    assert pustu.exists() and not pustu.filter(parent__isnull=True).exists()
    assert set(pustu.values_list("parent__kind_id", flat=True)) == {"puskesmas"}
    icu = hospitals.filter(services__code="icu").count()
    assert 0 < icu < hospitals.count() or hospitals.count() == icu


def test_accounts_for_every_role(dbx, client):
    users = User.objects.filter(username__startswith="demo-", area_code="3374")
    assert {u.role for u in users} == set(Role.values)
    admin = User.objects.get(username="demo-admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("sigap-demo-2026")
    op = User.objects.get(username="demo-operator-rs1")
    h1 = Facility.objects.get(bpjs_kodeppk="3374R001")
    h2 = Facility.objects.get(bpjs_kodeppk="3374R002")
    assert fs.can_operate(op, h1) and not fs.can_operate(op, h2)
    staff = User.objects.get(username="demo-puskesmas")
    assert fs.facilities_operated_by(staff).filter(kind_id="puskesmas").count() == 1
    assert "demo-operator-rs1" in dbx and "sigap-demo-2026" in dbx
    r = client.post("/masuk/", {"username": "demo-dinkes", "password": "sigap-demo-2026"})
    assert r.status_code == 302


def test_credentials(dbx):
    hospitals = Facility.objects.filter(is_synthetic=True, kind_id="rs")
    assert AplicareCredential.objects.filter(facility__in=hospitals).count() == hospitals.count()
    assert SirsCredential.objects.filter(facility__in=hospitals).count() == hospitals.count()
    cred = AplicareCredential.objects.get(facility__bpjs_kodeppk="3374R001")
    assert cred.cons_id == "3374R001"
    assert cred.secret in dbx and "X-rs-id" in dbx


def test_rooms_and_history(dbx):
    hospitals = Facility.objects.filter(is_synthetic=True, kind_id="rs")
    assert not Room.objects.exclude(facility__in=hospitals).filter(facility__is_synthetic=True)
    for h in hospitals:
        classes = set(h.rooms.values_list("bed_class_id", flat=True))
        assert {"KL1", "KL2", "KL3"} <= classes
        svc = set(h.services.values_list("code", flat=True))
        assert ("ICU" in classes) == ("icu" in svc)
        assert ("NIC" in classes) == ("nicu" in svc)
    now = timezone.now()
    for room in Room.objects.filter(facility__in=hospitals):
        assert 0 <= room.free + room.reserved <= room.capacity
        if room.free_male is not None:
            assert room.free_male + room.free_female == room.free
        history = BedUpdate.objects.filter(room=room).order_by("-at", "-id")
        last = history.first()
        assert (last.capacity, last.free, last.waiting) == (room.capacity, room.free, room.waiting)
        assert last.at == room.changed_at
        first = history.last()
        assert first.kind == "create" and now - first.at > timedelta(days=2)
        assert history.count() >= 5


def test_some_hospitals_are_stale(dbx):
    last = dict(
        Room.objects.filter(facility__is_synthetic=True)
        .values_list("facility_id")
        .annotate(m=Max("reported_at"))
    )
    cutoff = timezone.now() - timedelta(hours=6)
    stale = [f for f, t in last.items() if t < cutoff]
    assert 1 <= len(stale) <= len(last) // 4
    assert selectors.board_summary("3374")["stale"] == len(stale)
    # the operator demo hospitals are fresh
    h1 = Facility.objects.get(bpjs_kodeppk="3374R001")
    assert last[h1.pk] > cutoff


def test_rerun_creates_nothing(dbx):
    facilities = Facility.objects.count()
    rooms = Room.objects.count()
    history = BedUpdate.objects.count()
    users = User.objects.count()
    out = StringIO()
    call_command("demo", "--area", "3374", stdout=out)
    assert Facility.objects.count() == facilities
    assert Room.objects.count() == rooms
    assert User.objects.count() == users
    assert BedUpdate.objects.count() == history  # everything was reported within the hour
    assert "(0 fasilitas baru)" in out.getvalue()


def test_other_area_full_scale(dbx):
    call_command("demo", "--area", "3371", stdout=StringIO())
    magelang = Facility.objects.filter(is_synthetic=True, village__code__startswith="3371")
    assert magelang.filter(kind_id="puskesmas").count() >= 3  # 3 kecamatan
    assert magelang.filter(kind_id="rs").count() >= 1
    assert Room.objects.filter(facility__in=magelang).exists()
    # Semarang's demo is still intact
    assert Facility.objects.filter(is_synthetic=True, village__code__startswith="3374").count() > 60


def test_bad_area(dbx):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("demo", "--area", "337", stdout=StringIO())
