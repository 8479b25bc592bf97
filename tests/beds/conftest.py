"""Fixtures for bed-board tests: a small slice of Semarang and hospitals in it."""

import itertools

import pytest

from sigap.beds import selectors
from sigap.core.services import Actor

_seq = itertools.count(1)


@pytest.fixture
def semarang(db):
    from sigap.regions.models import Region

    Region.objects.create(code="33", level=1, name="Jawa Tengah", utc_offset=7)
    Region.objects.create(code="3374", level=2, parent_id="33", name="Kota Semarang", kind="kota")
    kec = [("337401", "Semarang Tengah"), ("337402", "Semarang Utara"), ("337410", "Banyumanik")]
    for code, name in kec:
        Region.objects.create(code=code, level=3, parent_id="3374", name=name)
    villages = [
        ("3374011001", "337401", "Miroto", -6.9800, 110.4120),
        ("3374021001", "337402", "Bandarharjo", -6.9580, 110.4210),
        ("3374101001", "337410", "Pudakpayung", -7.0900, 110.4150),
    ]
    for code, parent, name, lat, lon in villages:
        Region.objects.create(
            code=code, level=4, parent_id=parent, name=name, kind="kelurahan",
            latitude=lat, longitude=lon,
        )  # fmt: skip
    selectors.reset_snapshot()
    yield
    selectors.reset_snapshot()


@pytest.fixture
def make_hospital(semarang):
    from sigap.facilities.models import Facility

    def make(name=None, village="3374011001", lat=-6.98, lon=110.41, **kw):
        n = next(_seq)
        return Facility.objects.create(
            name=name or f"RS Uji {n}",
            kind_id="rs",
            ownership=kw.pop("ownership", "private"),
            hospital_class=kw.pop("hospital_class", "C"),
            bpjs_kodeppk=kw.pop("bpjs_kodeppk", f"3374R9{n:02d}"),
            village_id=village,
            latitude=lat,
            longitude=lon,
            phone="024-0000000",
            **kw,
        )

    return make


@pytest.fixture
def system_actor():
    return Actor.system("test")


@pytest.fixture
def operator_of(make_user):
    from sigap.facilities.models import FacilityOperator

    def make(facility, username=None):
        user = make_user(username or f"op-{facility.pk}", "hospital_operator", area_code="3374")
        FacilityOperator.objects.create(user=user, facility=facility)
        return user

    return make
