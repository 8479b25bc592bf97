"""Fixtures for nutrition tests: a slice of Semarang, a Puskesmas with its catchment, two
posyandu, staff and analysts."""

import pytest

from sigap.core.services import Actor

PASSWORD = "rahasia-uji-123"


@pytest.fixture
def area(db):
    from sigap.regions.models import Region

    Region.objects.create(code="33", level=1, name="Jawa Tengah", utc_offset=7)
    Region.objects.create(code="3374", level=2, parent_id="33", name="Kota Semarang", kind="kota")
    for code, name in [("337401", "Semarang Tengah"), ("337410", "Banyumanik")]:
        Region.objects.create(code=code, level=3, parent_id="3374", name=name)
    villages = [
        ("3374011001", "337401", "Miroto", -6.9800, 110.4120),
        ("3374011002", "337401", "Brumbungan", -6.9820, 110.4200),
        ("3374101001", "337410", "Pudakpayung", -7.0900, 110.4150),
    ]
    for code, parent, name, lat, lon in villages:
        Region.objects.create(
            code=code,
            level=4,
            parent_id=parent,
            name=name,
            kind="kelurahan",
            latitude=lat,
            longitude=lon,
        )
    return "3374"


@pytest.fixture
def facilities(area):
    """Puskesmas Miroto (catchment Miroto, Brumbungan), Puskesmas Pudak (Pudakpayung); one
    posyandu in Miroto and one in Pudakpayung."""
    from sigap.facilities.models import Facility

    def make(name, kind, village, **kw):
        return Facility.objects.create(
            name=name,
            kind_id=kind,
            ownership="public",
            village_id=village,
            latitude=-7.0,
            longitude=110.4,
            is_synthetic=True,
            **kw,
        )

    pkm1 = make("Puskesmas Miroto", "puskesmas", "3374011001")
    pkm1.catchment.set(["3374011001", "3374011002"])
    pkm2 = make("Puskesmas Pudak", "puskesmas", "3374101001")
    pkm2.catchment.set(["3374101001"])
    pos1 = make("Posyandu Melati", "posyandu", "3374011001")
    pos2 = make("Posyandu Mawar", "posyandu", "3374101001")
    return {"pkm1": pkm1, "pkm2": pkm2, "pos1": pos1, "pos2": pos2}


@pytest.fixture
def staff(make_user, facilities):
    from sigap.facilities.models import FacilityOperator

    user = make_user("bidan-miroto", "puskesmas_staff", area_code="3374")
    FacilityOperator.objects.create(user=user, facility=facilities["pkm1"])
    return user


@pytest.fixture
def other_staff(make_user, facilities):
    from sigap.facilities.models import FacilityOperator

    user = make_user("bidan-pudak", "puskesmas_staff", area_code="3374")
    FacilityOperator.objects.create(user=user, facility=facilities["pkm2"])
    return user


@pytest.fixture
def analyst(make_user, area):
    return make_user("analis", "analyst", area_code="3374")


@pytest.fixture
def staff_actor(staff):
    return Actor(user=staff, channel="test")


@pytest.fixture
def analyst_actor(analyst):
    return Actor(user=analyst, channel="test")


@pytest.fixture
def make_child(staff_actor, facilities):
    from datetime import date

    from sigap.nutrition import services

    counter = iter(range(1, 10_000))

    def make(
        name=None,
        sex="L",
        birth_date=date(2024, 1, 10),
        posyandu="pos1",
        kelurahan="3374011001",
        actor=None,
        **kw,
    ):
        data = services.ChildInput(
            name=name or f"Anak {next(counter)}",
            sex=sex,
            birth_date=birth_date,
            kelurahan_code=kelurahan,
            posyandu=facilities[posyandu] if posyandu else None,
            **kw,
        )
        return services.register_child(actor or staff_actor, data)

    return make


def client_for(user):
    """A test client logged in as `user`."""
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def counts() -> dict[str, int]:
    """Rows of every nutrition table and of the audit trail."""
    from django.apps import apps

    from sigap.core.models import AuditEvent

    out = {m._meta.label: m.objects.count() for m in apps.get_app_config("nutrition").get_models()}
    out["audit"] = AuditEvent.objects.count()
    return out
