"""Fixtures for home-care tests: a slice of Semarang, two Puskesmas with catchments, staff,
a roster, and the target groups."""

import importlib
from datetime import date, time

import pytest
from django.test import Client

from sigap.core.services import Actor

NIK = "3374014501800003"  # woman born 5 Jan 1980, registered in 337401


def client_as(user=None) -> Client:
    """A test client, logged in as `user` when given."""
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture(autouse=True)
def target_groups(request):
    if (
        "db" not in request.fixturenames
        and "transactional_db" not in request.fixturenames
        and "live_server" not in request.fixturenames
    ):
        yield
        return
    from django.apps import apps

    from sigap.homecare.models import TargetGroup

    request.getfixturevalue(
        "transactional_db"
        if "live_server" in request.fixturenames or "transactional_db" in request.fixturenames
        else "db"
    )
    if not TargetGroup.objects.exists():
        importlib.import_module("sigap.homecare.migrations.0002_target_groups").load(apps, None)
    yield


@pytest.fixture
def area(db):
    from sigap.regions.models import Region

    Region.objects.create(code="33", level=1, name="Jawa Tengah", utc_offset=7)
    Region.objects.create(code="3374", level=2, parent_id="33", name="Kota Semarang", kind="kota")
    for code, name in [("337401", "Semarang Tengah"), ("337410", "Banyumanik")]:
        Region.objects.create(code=code, level=3, parent_id="3374", name=name)
    villages = [
        ("3374011001", "337401", "Miroto", -6.9800, 110.4120),
        ("3374011002", "337401", "Brumbungan", -6.9850, 110.4200),
        ("3374101001", "337410", "Pudakpayung", -7.0900, 110.4150),
    ]
    for code, parent, name, lat, lon in villages:
        Region.objects.create(code=code, level=4, parent_id=parent, name=name, kind="kelurahan",
                              latitude=lat, longitude=lon)  # fmt: skip


@pytest.fixture
def puskesmas(area):
    from sigap.facilities.models import Facility

    def make(name, village, lat, lon, catchment):
        f = Facility.objects.create(name=name, kind_id="puskesmas", ownership="public",
                                    village_id=village, latitude=lat, longitude=lon)  # fmt: skip
        f.catchment.set(catchment)
        return f

    return {
        "miroto": make("Puskesmas Miroto", "3374011001", -6.981, 110.413,
                       ["3374011001", "3374011002"]),
        "pudak": make("Puskesmas Pudakpayung", "3374101001", -7.091, 110.416, ["3374101001"]),
    }  # fmt: skip


@pytest.fixture
def staff(make_user, puskesmas):
    from sigap.facilities.models import FacilityOperator

    user = make_user("perawat-miroto", "puskesmas_staff", area_code="3374")
    FacilityOperator.objects.create(user=user, facility=puskesmas["miroto"])
    return user


@pytest.fixture
def other_staff(make_user, puskesmas):
    from sigap.facilities.models import FacilityOperator

    user = make_user("perawat-pudak", "puskesmas_staff", area_code="3374")
    FacilityOperator.objects.create(user=user, facility=puskesmas["pudak"])
    return user


@pytest.fixture
def actor(staff):
    return Actor(user=staff, channel="web")


@pytest.fixture
def roster(actor, puskesmas, make_user):
    from sigap.homecare import services

    nurse_user = make_user("ners-ani", "puskesmas_staff", area_code="3374")
    f = puskesmas["miroto"]
    nurse = services.create_worker(
        actor, f, services.WorkerInput("Ners Ani", ["nurse"], time(8), time(15), user=nurse_user)
    )
    midwife = services.create_worker(
        actor, f, services.WorkerInput("Bidan Sri", ["midwife"], time(8), time(15))
    )
    return {"nurse": nurse, "midwife": midwife}  # fmt: skip


def request_input(**kw):
    from sigap.homecare.services import RequestInput

    base = dict(nik=NIK, name="Ibu Warsini", phone="081234567890", address="Jl. Miroto 3",
                village_code="3374011002", need="Pasca stroke, tidak bisa berjalan")  # fmt: skip
    if "nik" in kw and "phone" not in kw:
        # another NIK is another patient: with a phone of their own (one household's phone
        # and name at one address are the same public request: services._public_duplicate)
        base["phone"] = "0812" + kw["nik"][-8:]
    base.update(kw)
    return RequestInput(**base)


def planned_home_visit(net, make_user, nik: str, day: date):
    """A pregnant woman's care plan at Puskesmas Miroto of the referrals test network
    (`tests.referrals.conftest.network`), planned for `day`: the visit and the nurse who makes
    it (a worker login, not an operator of the Puskesmas). Shared by home care's withdrawal
    tests and referrals' hand-over tests."""
    from sigap.homecare import services
    from sigap.homecare.models import TargetGroup, Visit

    net.pkm.catchment.set(["3374011001"])
    staff = Actor(net.people["pkm"], "web")
    req = services.create_request(
        Actor(user=None, channel="web"),
        services.RequestInput(
            nik=nik, name="Siti Contoh", phone="081234567890", address="Jl. Miroto 3",
            village_code="3374011001", need="Hamil 34 minggu, tekanan darah tinggi",
        ),
    )  # fmt: skip
    group = TargetGroup.objects.order_by("sort").first()
    services.decide_eligibility(
        staff, req, target_group=group.code, answers={c: True for c in group.checklist}
    )
    plan = services.create_care_plan(
        staff, req,
        services.CarePlanInput(frequency_days=7, skill="nurse", visit_minutes=45,
                               preferred_start=time(8), preferred_end=time(14), priority=1,
                               start_date=day),
    )  # fmt: skip
    nurse = make_user("ners-ani", "puskesmas_staff", area_code="3374")
    services.create_worker(
        staff, net.pkm, services.WorkerInput("Ners Ani", ["nurse"], time(8), time(15), user=nurse)
    )
    services.plan_facility(staff, net.pkm, day, seconds=0.3)
    return Visit.objects.get(care_plan=plan), nurse
