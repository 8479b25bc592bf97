"""Fixtures for the emergency centre: a slice of Semarang (two kelurahan and a desa),
hospitals with services and beds, ambulance units and the PSC accounts."""

import itertools

import pytest

from sigap.beds import selectors as bed_selectors
from sigap.beds import services as bed_services
from sigap.core.services import Actor
from sigap.emergency import selectors, services
from sigap.regions.models import Region

_seq = itertools.count(1)

VILLAGES = [
    ("3374011001", "337401", "Miroto", "kelurahan", -6.9800, 110.4120),
    ("3374021001", "337402", "Bandarharjo", "kelurahan", -6.9580, 110.4210),
    ("3374101001", "337410", "Pudakpayung", "kelurahan", -7.0900, 110.4150),
    ("3322012001", "332201", "Desa Uji", "desa", -7.1500, 110.4000),
]


@pytest.fixture
def area(db):
    Region.objects.create(code="33", level=1, name="Jawa Tengah", utc_offset=7)
    Region.objects.create(code="3374", level=2, parent_id="33", name="Kota Semarang", kind="kota")
    Region.objects.create(
        code="3322", level=2, parent_id="33", name="Kab. Semarang", kind="kabupaten"
    )
    for code, name in [
        ("337401", "Semarang Tengah"),
        ("337402", "Semarang Utara"),
        ("337410", "Banyumanik"),
        ("332201", "Ungaran"),
    ]:
        Region.objects.create(code=code, level=3, parent_id=code[:4], name=name)
    for code, parent, name, kind, lat, lon in VILLAGES:
        Region.objects.create(
            code=code, level=4, parent_id=parent, name=name, kind=kind, latitude=lat, longitude=lon
        )
    services.villages.reset()
    selectors.reset_unit_index()
    bed_selectors.reset_snapshot()
    yield
    services.villages.reset()
    selectors.reset_unit_index()
    bed_selectors.reset_snapshot()


@pytest.fixture
def system():
    return Actor.system("test")


@pytest.fixture
def users(area, make_user):
    return {
        "psc": make_user("psc", "psc_call_taker", area_code="3374"),
        "dispatcher": make_user("disp", "dispatcher", area_code="3374"),
        "dispatcher2": make_user("disp2", "dispatcher", area_code="3374"),
        "crew": make_user("crew", "ambulance_crew", area_code="3374"),
        "other_disp": make_user("disp-solo", "dispatcher", area_code="3372"),
        "public": make_user("warga", "public"),
    }


def actor(user, channel="web"):
    return Actor(user=user, channel=channel)


@pytest.fixture
def make_unit(area, system):
    def make(code=None, village="3374011001", kind="gawat_darurat", lat=None, lon=None, **kw):
        n = next(_seq)
        v = Region.objects.get(code=village)
        return services.save_unit(
            system,
            services.UnitInput(
                code=code or f"AMB-{n:03d}",
                name=kw.pop("name", f"Ambulans {n}"),
                kind=kind,
                base_kind=kw.pop("base_kind", "village"),
                base_village=village,
                area_code=village[:4],
                latitude=lat if lat is not None else v.latitude,
                longitude=lon if lon is not None else v.longitude,
                **kw,
            ),
        )

    return make


@pytest.fixture
def make_hospital(area):
    from sigap.facilities.models import Facility, Service

    def make(name, village="3374011001", lat=-6.98, lon=110.41, services_=("igd",), rooms=()):
        n = next(_seq)
        h = Facility.objects.create(
            name=name,
            kind_id="rs",
            ownership="private",
            hospital_class="C",
            bpjs_kodeppk=f"3374E9{n:02d}",
            village_id=village,
            latitude=lat,
            longitude=lon,
        )
        h.services.set(Service.objects.filter(code__in=services_))
        for code, cls, cap, free in rooms:
            bed_services.upsert_room(
                Actor.system(),
                h,
                bed_services.RoomInput(
                    bed_class=cls,
                    code=code,
                    name=f"Ruang {code}",
                    capacity=cap,
                    free=free,
                ),
                source="api",
            )
        bed_selectors.reset_snapshot()
        return h

    return make


@pytest.fixture
def call(users):
    """Open an incident as the call-taker."""

    def make(**kw):
        data = services.IncidentInput(
            **{
                "latitude": -6.981,
                "longitude": 110.413,
                "caller_phone": "081234567890",
                "category": "medical",
                "triage": "merah",
                **kw,
            }
        )
        return services.create_incident(actor(users["psc"]), data)

    return make
