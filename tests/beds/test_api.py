"""SIGAP's own bed JSON API: the public board, its export, and the operators' room endpoints."""

import csv
import io

import pytest
from django.test import Client

from sigap.beds import selectors, services
from sigap.beds.models import BedUpdate, Room
from sigap.core.models import ApiKey, AuditEvent

PUBLIC = "/api/v1/public/beds"


def room(code="R1", cls="KL3", cap=10, free=4, name=None, **kw):
    return services.RoomInput(bed_class=cls, code=code, name=name or f"Ruang {code}",
                              capacity=cap, free=free, **kw)  # fmt: skip


@pytest.fixture
def board(make_hospital, system_actor):
    near = make_hospital("RS Dekat", lat=-6.98, lon=110.41)
    far = make_hospital("RS Jauh", village="3374101001", lat=-7.09, lon=110.415)
    services.upsert_room(system_actor, near, room("ICU1", "ICU", 4, 0), source="api")
    services.upsert_room(system_actor, near, room("K3", "KL3", 20, 5), source="api")
    services.upsert_room(system_actor, far, room("ICU1", "ICU", 6, 2), source="api")
    selectors.reset_snapshot()
    return near, far


def test_public_board_lists_hospitals_with_free_beds(client, board):
    r = client.get(PUBLIC)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    rows = r.json()
    assert [h["name"] for h in rows] == ["RS Dekat", "RS Jauh"]  # most free beds first
    dekat = rows[0]
    assert dekat["total_free"] == 5 and dekat["stale"] is False and dekat["phone"]
    assert {b["kodekelas"]: b["free"] for b in dekat["beds"]} == {"ICU": 0, "KL3": 5}
    assert dekat["kecamatan"] == {"code": "337401", "name": "Semarang Tengah"}
    assert "distance_km" not in dekat


def test_public_board_filters_and_nearest(client, board):
    icu = client.get(PUBLIC, {"kelas": "icu", "lat": -6.98, "lon": 110.41}).json()
    assert [h["name"] for h in icu] == ["RS Jauh"]
    assert icu[0]["distance_km"] > 10 and icu[0]["travel_minutes"] > 0
    both = client.get(PUBLIC, {"kelas": "ICU", "include_full": "true", "lat": -6.98,
                               "lon": 110.41}).json()  # fmt: skip
    assert [h["name"] for h in both] == ["RS Dekat", "RS Jauh"]
    assert [h["name"] for h in client.get(PUBLIC, {"kecamatan": "337410"}).json()] == ["RS Jauh"]
    assert [h["name"] for h in client.get(PUBLIC, {"wilayah": "3374"}).json()] == [
        "RS Dekat", "RS Jauh"
    ]  # fmt: skip
    assert len(client.get(PUBLIC, {"limit": 1}).json()) == 1
    # Class codes with digits (KL1-KL3) are codes like any other.
    assert [h["name"] for h in client.get(PUBLIC, {"kelas": "KL3"}).json()] == ["RS Dekat"]
    assert [h["name"] for h in client.get(PUBLIC, {"kelas": "kl3"}).json()] == ["RS Dekat"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"lat": -6.9}, "lon"),
        ({"lon": 110.4}, "lat"),
        ({"lat": 91, "lon": 110}, "lat"),
        ({"lat": "utara", "lon": 110}, "lat"),
        ({"lat": -6.9, "lon": 181}, "lon"),
        ({"kecamatan": "3374"}, "kecamatan"),
        ({"wilayah": "3374x"}, "wilayah"),
        ({"limit": 0}, "limit"),
        ({"limit": 100000}, "limit"),
        ({"kelas": "ZZZ"}, "kelas"),
        ({"kelas": "K\x00L"}, "kelas"),
        ({"include_full": "mungkin"}, "include_full"),
    ],
)
def test_public_board_validation_errors(client, board, params, field):
    r = client.get(PUBLIC, params)
    assert r.status_code == 422, r.content
    body = r.json()
    assert set(body) == {"code", "message", "field"}
    assert body["code"] == "invalid" and body["field"] == field and body["message"]


def test_bed_classes(client, db):
    rows = {c["code"]: c for c in client.get("/api/v1/public/bed-classes").json()}
    assert rows["ICU"]["sirs_id_tt"] == [6, 38] and rows["ICU"]["is_critical_care"]
    assert rows["KRS"]["is_aplicare"] is False


def test_export_csv_parses_back(client, board):
    r = client.get(f"{PUBLIC}/export", {"format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8"))))
    assert {(x["rumah_sakit"], x["kodekelas"], x["tersedia"]) for x in rows} == {
        ("RS Dekat", "ICU", "0"), ("RS Dekat", "KL3", "5"), ("RS Jauh", "ICU", "2"),
    }  # fmt: skip
    only_icu = client.get(f"{PUBLIC}/export", {"kelas": "ICU"}).content.decode()
    assert "KL3" not in only_icu and only_icu.count("ICU") >= 2
    only_kl3 = client.get(f"{PUBLIC}/export", {"kelas": "KL3"})
    assert only_kl3.status_code == 200
    assert [r[5] for r in csv.reader(io.StringIO(only_kl3.content.decode()))][1:] == ["KL3"]


def test_export_xlsx_parses_back(client, board):
    from openpyxl import load_workbook

    r = client.get(f"{PUBLIC}/export", {"format": "xlsx"})
    assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
    ws = load_workbook(io.BytesIO(r.content), read_only=True).active
    header, *rows = list(ws.iter_rows(values_only=True))
    assert list(header) == selectors.EXPORT_COLUMNS
    got = {(x[0], x[5], x[8]) for x in rows}
    assert got == {("RS Dekat", "ICU", 0), ("RS Dekat", "KL3", 5), ("RS Jauh", "ICU", 2)}


@pytest.mark.parametrize("params", [{"format": "pdf"}, {"kelas": "ZZZ"}, {"kecamatan": "1"}])
def test_export_validation(client, board, params):
    r = client.get(f"{PUBLIC}/export", params)
    assert r.status_code == 422 and set(r.json()) == {"code", "message", "field"}


# --- operators ----------------------------------------------------------------------------


@pytest.fixture
def operator_key(board, operator_of):
    near, _far = board
    user = operator_of(near, "op-dekat")
    _key, raw = ApiKey.generate(user, "SIMRS RS Dekat")
    return near, {"Authorization": f"Bearer {raw}"}


def rooms_url(facility, *parts):
    return "/".join([f"/api/v1/beds/facilities/{facility.public_id}/rooms", *parts])


def test_operator_lists_rooms_by_uuid_or_kodeppk(client, operator_key):
    near, auth = operator_key
    rows = client.get(rooms_url(near), headers=auth).json()
    assert {(r["kodekelas"], r["koderuang"]) for r in rows} == {("ICU", "ICU1"), ("KL3", "K3")}
    by_ppk = client.get(f"/api/v1/beds/facilities/{near.bpjs_kodeppk}/rooms", headers=auth)
    assert by_ppk.status_code == 200 and len(by_ppk.json()) == 2


def test_operator_put_patch_delete_with_api_key(client, operator_key):
    near, auth = operator_key
    url = rooms_url(near, "KL1", "ANGGREK")
    body = {"namaruang": "Anggrek", "kapasitas": 8, "tersedia": 3, "antrian": 1}
    r = client.put(url, body, content_type="application/json", headers=auth)
    assert r.status_code == 201 and r.json()["outcome"] == "created"
    assert r.json()["room"]["waiting"] == 1
    r = client.put(url, body | {"tersedia": 2}, content_type="application/json", headers=auth)
    assert r.status_code == 200 and r.json()["outcome"] == "updated"
    before = (BedUpdate.objects.count(), AuditEvent.objects.count())
    r = client.put(url, body | {"tersedia": 2}, content_type="application/json", headers=auth)
    assert r.json()["outcome"] == "unchanged"
    assert (BedUpdate.objects.count(), AuditEvent.objects.count()) == before

    r = client.patch(url, {"tersedia": 0, "dipesan": 2}, content_type="application/json",
                     headers=auth)  # fmt: skip
    assert r.status_code == 200, r.content
    got = Room.objects.get(facility=near, code="ANGGREK")
    assert (got.free, got.reserved, got.source) == (0, 2, "api")
    ev = AuditEvent.objects.filter(action="bed.room.update").latest("id")
    assert ev.actor_label == "op-dekat" and ev.channel == "api"

    history = client.get(f"/api/v1/beds/facilities/{near.public_id}/history", headers=auth)
    assert history.status_code == 200
    assert [h["kind"] for h in history.json() if h["koderuang"] == "ANGGREK"] == [
        "update", "update", "create"
    ]  # fmt: skip

    assert client.delete(url, headers=auth).status_code == 204
    assert not Room.objects.filter(facility=near, code="ANGGREK").exists()
    assert client.delete(url, headers=auth).status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"namaruang": "X", "kapasitas": 5, "tersedia": 6}, "free"),
        ({"namaruang": "X", "kapasitas": -1, "tersedia": 0}, "kapasitas"),
        ({"namaruang": "X", "kapasitas": "lima", "tersedia": 0}, "kapasitas"),
        ({"namaruang": "", "kapasitas": 5, "tersedia": 0}, "namaruang"),
        ({"kapasitas": 5, "tersedia": 0}, "namaruang"),
        ({"namaruang": "X", "kapasitas": 5, "tersedia": 2, "dipesan": 4}, "reserved"),
        (
            {
                "namaruang": "X",
                "kapasitas": 5,
                "tersedia": 3,
                "tersediapria": 2,
                "tersediawanita": 2,
            },
            "free_male",
        ),  # fmt: skip
    ],
)
def test_operator_bad_input_is_422_and_writes_nothing(client, operator_key, body, field):
    near, auth = operator_key
    before = (Room.objects.count(), BedUpdate.objects.count(), AuditEvent.objects.count())
    r = client.put(rooms_url(near, "KL2", "NEW"), body, content_type="application/json",
                   headers=auth)  # fmt: skip
    assert r.status_code == 422, r.content
    assert r.json()["field"] == field and r.json()["code"] == "invalid"
    assert (Room.objects.count(), BedUpdate.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("kodekelas, koderuang", [("ZZZ", "X"), ("K\x00L", "X"), ("KL3", "A\x00")])
def test_operator_bad_path_is_4xx(client, operator_key, kodekelas, koderuang):
    near, auth = operator_key
    body = {"namaruang": "X", "kapasitas": 5, "tersedia": 1}
    r = client.put(rooms_url(near, kodekelas, koderuang), body, content_type="application/json",
                   headers=auth)  # fmt: skip
    assert r.status_code == 422
    assert client.delete(rooms_url(near, kodekelas, koderuang), headers=auth).status_code in (
        404, 422
    )  # fmt: skip


def test_operator_needs_credentials(client, board):
    near, _far = board
    assert client.get(rooms_url(near)).status_code == 401
    bad = {"Authorization": "Bearer sgp_not-a-real-key"}
    assert client.get(rooms_url(near), headers=bad).status_code == 401
    revoked_user_key = client.get(rooms_url(near), headers={"X-API-Key": "nope"})
    assert revoked_user_key.status_code == 401


def test_revoked_key_is_refused(client, operator_key):
    from django.utils import timezone

    near, auth = operator_key
    ApiKey.objects.update(revoked_at=timezone.now())
    assert client.get(rooms_url(near), headers=auth).status_code == 401


def test_unknown_facility_is_404(client, operator_key):
    _near, auth = operator_key
    r = client.get("/api/v1/beds/facilities/0000X000/rooms", headers=auth)
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_session_login_needs_csrf_for_writes(board, operator_of):
    near, _far = board
    operator_of(near, "op-sesi")
    browser = Client(enforce_csrf_checks=True)
    browser.get("/masuk/")  # sets the CSRF cookie, as the login page does for a browser
    token = browser.cookies["csrftoken"].value
    r = browser.post("/masuk/", {"username": "op-sesi", "password": "rahasia-uji-123",
                                 "csrfmiddlewaretoken": token})  # fmt: skip
    assert r.status_code == 302
    token = browser.cookies["csrftoken"].value  # rotated at login
    assert browser.get(rooms_url(near)).status_code == 200  # reads need no token
    url = rooms_url(near, "KL2", "SESI")
    body = {"namaruang": "Sesi", "kapasitas": 4, "tersedia": 1}
    r = browser.put(url, body, content_type="application/json")
    assert r.status_code == 403 and not Room.objects.filter(code="SESI").exists()
    r = browser.put(url, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.content
    assert AuditEvent.objects.filter(action="bed.room.create").latest("id").actor_label == "op-sesi"


# --- issue 12: an empty query parameter is no filter -----------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_with_empty_filters_is_the_whole_board(client, board, fmt):
    full = client.get(f"{PUBLIC}/export", {"format": fmt})
    empty = client.get(f"{PUBLIC}/export", {"format": fmt, "kelas": "", "kecamatan": ""})
    assert empty.status_code == 200, empty.content[:200]
    if fmt == "csv":
        assert empty.content == full.content


def test_export_with_empty_format_is_csv(client, board):
    r = client.get(f"{PUBLIC}/export?format=&kecamatan=&kelas=")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")


def test_public_board_with_empty_params_is_unfiltered(client, board):
    full = client.get(PUBLIC).json()
    r = client.get(f"{PUBLIC}?kelas=&kecamatan=&wilayah=&lat=&lon=&limit=&include_full=")
    assert r.status_code == 200, r.content[:200]
    assert r.json() == full
    # a blank value is no filter either; a wrong non-empty value is still refused
    assert client.get(f"{PUBLIC}?kecamatan=%20%20").status_code == 200
    assert client.get(f"{PUBLIC}?kecamatan=12").status_code == 422
    # one coordinate given and the other empty is still half a position
    r = client.get(f"{PUBLIC}?lat=-6.98&lon=")
    assert r.status_code == 422 and r.json()["field"] == "lon"
