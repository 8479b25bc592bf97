"""A slice of Semarang for the access tests: two kecamatan, four kelurahan (one without a
position), a Puskesmas, a Pustu in a kelurahan of its own, and two hospitals (one with IGD
and PONEK), plus an analyst of the city."""

import pytest


@pytest.fixture
def area(db):
    from sigap.regions.models import Region

    Region.objects.create(code="33", level=1, name="Jawa Tengah", utc_offset=7)
    Region.objects.create(
        code="3374", level=2, parent_id="33", name="Kota Semarang", kind="kota", population=40_000
    )
    for code, name in [("337401", "Semarang Tengah"), ("337410", "Banyumanik")]:
        Region.objects.create(code=code, level=3, parent_id="3374", name=name)
    villages = [
        ("3374011001", "337401", "Miroto", -6.9800, 110.4120),
        ("3374011002", "337401", "Brumbungan", -6.9820, 110.4200),
        ("3374101001", "337410", "Pudakpayung", -7.0900, 110.4150),
        ("3374101002", "337410", "Gedawang", None, None),
    ]
    for code, parent, name, lat, lon in villages:
        Region.objects.create(
            code=code, level=4, parent_id=parent, name=name, kind="kelurahan",
            latitude=lat, longitude=lon,
        )  # fmt: skip
    return "3374"


@pytest.fixture
def facilities(area):
    from sigap.facilities.models import Facility

    def make(name, kind, village, lat, lon, services=(), **kw):
        f = Facility.objects.create(
            name=name, kind_id=kind, ownership="public", village_id=village,
            latitude=lat, longitude=lon, is_synthetic=True, **kw,
        )  # fmt: skip
        f.services.set(services)
        return f

    pkm = make("Puskesmas Miroto", "puskesmas", "3374011001", -6.9801, 110.4121)
    make("Pustu Pudakpayung", "pustu", "3374101001", -7.0901, 110.4151, parent=pkm)
    make("RS Contoh Tengah", "rs", "3374011002", -6.9821, 110.4201, ["igd", "obstetri"],
         hospital_class="C")  # fmt: skip
    make("RS Contoh Kecil", "rs", "3374011001", -6.9805, 110.4125, ["rawat_jalan"],
         hospital_class="D")  # fmt: skip
    return pkm


@pytest.fixture
def analyst(make_user, area):
    return make_user("analis-akses", "analyst", area_code="3374")
