"""Fixtures for coverage tests: a slice of Kota Semarang and register files."""

import csv
from datetime import date

import pytest

from sigap.core.services import Actor

KEL_A, KEL_B, KEL_C = "3374011001", "3374021001", "3374101001"
POP_HEADER = ["nik", "no_kk", "nama", "jenis_kelamin", "tanggal_lahir", "kelurahan_code",
              "alamat", "status"]  # fmt: skip
MEM_HEADER = ["nik", "no_kartu", "segmen", "aktif", "alasan_nonaktif", "kode_faskes", "kelas"]
TODAY = date(2026, 5, 15)


def nik(kec: str, born: date, serial: int, female: bool = False) -> str:
    """A structurally valid NIK: kecamatan code, birth date (+40 for women), serial."""
    day = born.day + (40 if female else 0)
    return f"{kec}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def write_csv(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def person(kec, born, serial, kel, *, female=False, status="alive", name=None):
    n = nik(kec, born, serial, female)
    return [n, "3374010101000001", name or f"Warga {serial}", "P" if female else "L",
            born.isoformat(), kel, "Jl. Contoh", status]  # fmt: skip


@pytest.fixture
def semarang(db):
    from sigap.regions.models import Region

    Region.objects.create(code="33", level=1, name="Jawa Tengah", utc_offset=7)
    Region.objects.create(code="3374", level=2, parent_id="33", name="Kota Semarang", kind="kota")
    for code, name in [("337401", "Semarang Tengah"), ("337402", "Semarang Utara"),
                       ("337410", "Banyumanik")]:  # fmt: skip
        Region.objects.create(code=code, level=3, parent_id="3374", name=name)
    for code, name in [(KEL_A, "Miroto"), (KEL_B, "Bandarharjo"), (KEL_C, "Pudakpayung")]:
        Region.objects.create(code=code, level=4, parent_id=code[:6], name=name,
                              kind="kelurahan", latitude=-7.0, longitude=110.4)  # fmt: skip


@pytest.fixture
def cli():
    return Actor(user=None, channel="cli", label="test")


@pytest.fixture
def analyst(make_user):
    return make_user("analis", "analyst", area_code="3374")


@pytest.fixture
def analyst_actor(analyst):
    return Actor(user=analyst, channel="web")
