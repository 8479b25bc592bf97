"""Bed board pages through the Django test client (no JavaScript)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sigap.beds import charts, selectors, services, views
from sigap.beds.models import AplicareCredential, BedUpdate, Room
from sigap.core.models import AuditEvent


def room(code="R1", cls="KL3", cap=10, free=4, **kw):
    return services.RoomInput(bed_class=cls, code=code, name=f"Ruang {code}", capacity=cap,
                              free=free, **kw)  # fmt: skip


@pytest.fixture
def two_hospitals(make_hospital, system_actor):
    """A in Semarang Tengah with ICU free; B in Banyumanik (far south) with none free."""
    a = make_hospital("RS Alfa", village="3374011001", lat=-6.981, lon=110.412,
                      emergency_phone="024-119119", is_synthetic=True)  # fmt: skip
    b = make_hospital("RS Beta", village="3374101001", lat=-7.090, lon=110.415)
    services.upsert_room(system_actor, a, room("ICU1", "ICU", 6, 2), source="api")
    services.upsert_room(system_actor, a, room("K3", "KL3", 20, 5), source="api")
    services.upsert_room(system_actor, b, room("ICU1", "ICU", 4, 0), source="api")
    services.upsert_room(system_actor, b, room("K3", "KL3", 30, 12), source="api")
    selectors.reset_snapshot()
    return a, b


def login(client, username: str) -> None:
    from sigap.core.models import User

    client.force_login(User.objects.get(username=username))


def names_in_order(html: str) -> list[str]:
    return re.findall(r'<h2 class="h-name">([^<]+)</h2>', html)


# --- public board ---------------------------------------------------------------------------


def test_home_redirects_anonymous_to_board(client):
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"] == reverse("beds:board")


def test_board_renders_without_js(client, two_hospitals):
    resp = client.get(reverse("beds:board"))
    html = resp.content.decode()
    assert resp.status_code == 200
    # most free beds first without a position
    assert names_in_order(html) == ["RS Beta", "RS Alfa"]
    assert 'href="tel:024-119119"' in html
    assert "data sintetis (demo)" in html
    assert "diperbarui kurang dari 1 menit yang lalu" in html
    assert "/api/v1/public/beds/export?" in html and "format=xlsx" in html
    assert 'id="map"' in html and 'id="board-config"' in html
    # every script is external or carries the nonce
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "nonce=" in tag or "application/json" in tag


def test_board_class_and_kecamatan_filters(client, two_hospitals):
    html = client.get(reverse("beds:board"), {"kelas": "ICU"}).content.decode()
    assert names_in_order(html) == ["RS Alfa"]
    assert '<option value="ICU" selected>' in html
    html = client.get(reverse("beds:board"), {"kecamatan": "337410"}).content.decode()
    assert names_in_order(html) == ["RS Beta"]
    # unknown values are ignored, not errors
    resp = client.get(reverse("beds:board"), {"kelas": "<x>", "kecamatan": "zz", "lat": "abc"})
    assert resp.status_code == 200 and len(names_in_order(resp.content.decode())) == 2


def test_board_nearest_by_kelurahan_and_position(client, two_hospitals):
    # Pudakpayung is next to RS Beta
    html = client.get(reverse("beds:board"), {"lokasi": "pudakpayung"}).content.decode()
    assert names_in_order(html) == ["RS Beta", "RS Alfa"]
    assert "terdekat dari Pudakpayung" in html
    assert re.search(r"\d+,\d km · ±\d+ menit", html)
    html = client.get(reverse("beds:board"), {"kelurahan": "3374011001"}).content.decode()
    assert names_in_order(html) == ["RS Alfa", "RS Beta"]
    html = client.get(reverse("beds:board"), {"lat": "-7.09", "lon": "110.41"}).content.decode()
    assert names_in_order(html) == ["RS Beta", "RS Alfa"]
    html = client.get(reverse("beds:board"), {"lokasi": "Atlantis"}).content.decode()
    assert "tidak ditemukan" in html


def test_board_flags_stale_data(client, two_hospitals, settings):
    a, _ = two_hospitals
    Room.objects.filter(facility=a).update(reported_at=timezone.now() - timedelta(hours=7))
    selectors.reset_snapshot()
    html = client.get(reverse("beds:board")).content.decode()
    assert html.count('<span class="badge stale">data lama</span>') == 1
    assert "diperbarui 7 jam yang lalu" in html
    assert re.search(r'data-total="stale">1<', html)


def test_language_switch_to_english(client, two_hospitals):
    resp = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("beds:board")}, follow=True
    )
    html = resp.content.decode()
    assert '<html lang="en">' in html
    assert "Free hospital beds" in html
    assert "updated less than 1 minute ago" in html
    assert "synthetic data (demo)" in html
    html = client.get(reverse("beds:board"), {"kelas": "ICU"}).content.decode()
    assert "All classes" in html


def test_age_words():
    assert views.age_words(0) == "kurang dari 1 menit"
    assert views.age_words(12) == "12 menit"
    assert views.age_words(125) == "2 jam"
    assert views.age_words(3 * 24 * 60) == "3 hari"


# --- operator page ----------------------------------------------------------------------------


def post_rows(client, facility, rows: dict, save="all", **extra):
    data = {"rs": str(facility.public_id), "action": "save", "save": save, "room": []}
    for r, values in rows.items():
        key = str(r.public_id)
        data["room"].append(key)
        for name, value in values.items():
            data[f"{name}-{key}"] = value
    data.update(extra)
    return client.post(reverse("beds:operator"), data)


def counts(r: Room, **override) -> dict:
    values = {"tersedia": r.free, "dipesan": r.reserved, "antrian": r.waiting,
              "kapasitas": r.capacity}  # fmt: skip
    return values | override


def test_operator_page_needs_login_and_role(client, make_user, two_hospitals):
    resp = client.get(reverse("beds:operator"))
    assert resp.status_code == 302 and reverse("login") in resp["Location"]
    make_user("analis", "analyst", area_code="3374")
    login(client, "analis")
    assert client.get(reverse("beds:operator")).status_code == 403


def test_operator_sees_and_updates_only_own_hospital(client, operator_of, two_hospitals):
    a, b = two_hospitals
    operator_of(a, "op-a")
    AplicareCredential.objects.create(facility=a, cons_id="CONS-A", secret="s3cret-value")
    login(client, "op-a")
    html = client.get(reverse("beds:operator")).content.decode()
    assert "RS Alfa" in html and "RS Beta" not in html
    assert "CONS-A" in html and "s3cret-value" not in html
    assert client.get(reverse("beds:operator"), {"rs": str(b.public_id)}).status_code == 404

    icu = Room.objects.get(facility=a, bed_class="ICU")
    changed = {icu: counts(icu, tersedia="1", antrian="3")}
    resp = post_rows(client, a, changed, save=str(icu.public_id))
    assert resp.status_code == 302
    icu.refresh_from_db()
    assert (icu.free, icu.waiting) == (1, 3)
    update = BedUpdate.objects.filter(room=icu).first()
    assert update.source == "operator" and update.actor_label == "op-a"
    assert AuditEvent.objects.filter(action="bed.room.update", channel="web").exists()
    selectors.reset_snapshot()
    rows = client.get("/api/v1/public/beds", {"kelas": "ICU"}).json()
    assert [r["name"] for r in rows] == ["RS Alfa"]
    assert {b["kodekelas"]: b["free"] for b in rows[0]["beds"]}["ICU"] == 1


def test_operator_cannot_post_to_other_hospital(client, operator_of, two_hospitals):
    a, b = two_hospitals
    operator_of(a, "op-a")
    login(client, "op-a")
    b_room = Room.objects.get(facility=b, bed_class="KL3")
    before = BedUpdate.objects.count()
    # B's room posted under B's id, and B's room smuggled in under A's id
    assert post_rows(client, b, {b_room: counts(b_room, tersedia="0")}).status_code == 404
    assert post_rows(client, a, {b_room: counts(b_room, tersedia="0")}).status_code == 404
    delete = {"rs": str(a.public_id), "action": "delete", "room": str(b_room.public_id)}
    resp = client.post(reverse("beds:operator"), delete)
    assert resp.status_code == 404
    b_room.refresh_from_db()
    assert b_room.free == 12 and BedUpdate.objects.count() == before


@pytest.mark.parametrize(
    "override, message",
    [
        ({"tersedia": "abc"}, "Tersedia harus bilangan bulat."),
        ({"tersedia": "-1"}, "Tidak boleh negatif."),
        ({"tersedia": "99"}, "Tempat tidur tersedia melebihi kapasitas."),
        ({"dipesan": "16"}, "Tersedia + dipesan + disiapkan melebihi kapasitas."),
    ],
)
def test_operator_bad_input_shows_error_and_writes_nothing(
    client, operator_of, two_hospitals, override, message
):
    a, _ = two_hospitals
    operator_of(a, "op-a")
    login(client, "op-a")
    icu, k3 = Room.objects.get(facility=a, bed_class="ICU"), Room.objects.get(facility=a, code="K3")
    before = BedUpdate.objects.count()
    # a good change in the first row and a bad one in the second: save-all writes neither
    resp = post_rows(client, a, {icu: counts(icu, tersedia="0"), k3: counts(k3, **override)})
    assert 400 <= resp.status_code < 500
    html = resp.content.decode()
    assert message in html and 'class="row-error"' in html
    icu.refresh_from_db()
    assert icu.free == 2 and BedUpdate.objects.count() == before


def test_operator_adds_and_deletes_room(client, operator_of, two_hospitals):
    a, _ = two_hospitals
    operator_of(a, "op-a")
    login(client, "op-a")
    data = {"rs": str(a.public_id), "action": "add", "kodekelas": "NIC", "koderuang": "NICU-1",
            "namaruang": "Ruang Bayi", "kapasitas": "4", "tersedia": "2"}  # fmt: skip
    assert client.post(reverse("beds:operator"), data).status_code == 302
    new = Room.objects.get(facility=a, bed_class="NIC")
    assert new.free == 2 and new.source == "operator"
    # the same room again is a conflict, shown on the page
    resp = client.post(reverse("beds:operator"), data)
    assert resp.status_code == 409 and "sudah ada" in resp.content.decode()
    resp = client.post(reverse("beds:operator"), data | {"koderuang": "X", "kodekelas": "ZZZ"})
    assert resp.status_code == 422 and Room.objects.filter(facility=a).count() == 3
    delete = {"rs": str(a.public_id), "action": "delete", "room": str(new.public_id)}
    resp = client.post(reverse("beds:operator"), delete)
    assert resp.status_code == 302 and not Room.objects.filter(pk=new.pk).exists()


def test_admin_may_pick_any_hospital(client, make_user, two_hospitals):
    a, b = two_hospitals
    make_user("adm", "admin")
    login(client, "adm")
    html = client.get(reverse("beds:operator"), {"rs": str(b.public_id)}).content.decode()
    assert "<h1>RS Beta</h1>" in html and 'id="pick-rs"' in html


# --- health-office view -------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status", [("analyst", 200), ("admin", 200), ("hospital_operator", 403), ("public", 403)]
)
def test_office_access_by_role(client, make_user, two_hospitals, role, status):
    make_user("u", role, area_code="3374")
    login(client, "u")
    assert client.get(reverse("beds:office")).status_code == status


def test_office_page_shows_charts_and_stale_hospitals(client, make_user, two_hospitals):
    a, b = two_hospitals
    Room.objects.filter(facility=b).update(reported_at=timezone.now() - timedelta(hours=9))
    make_user("analis", "analyst", area_code="3374")
    login(client, "analis")
    resp = client.get(reverse("beds:office"), {"hari": "1"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert html.count("<svg") == 2 and "<script type" not in html.split("</svg>")[0]
    assert "/static/core/charts.css" in html  # the SIGAP chart style's sheet
    stale_table = html.split('id="stale-table"')[1].split("</table>")[0]
    assert "RS Beta" in stale_table and "RS Alfa" not in stale_table
    # one hospital, one class, 30 days
    params = {"rs": str(a.public_id), "kelas": "ICU", "hari": "30"}
    resp = client.get(reverse("beds:office"), params)
    assert resp.status_code == 200 and "RS Alfa" in resp.content.decode()


def test_office_is_scoped_to_the_users_area(client, make_user, two_hospitals):
    make_user("analis-lain", "analyst", area_code="3371")
    login(client, "analis-lain")
    html = client.get(reverse("beds:office")).content.decode()
    assert "RS Alfa" not in html and "RS Beta" not in html


def test_charts_carry_no_script_or_inline_style():
    svg = charts.line_chart("t", ["a", "b"], {"x": [0.5, None]}, no_data="-")
    assert "<script" not in svg and "<style" not in svg and "style=" not in svg


# --- BOR series ---------------------------------------------------------------------------


def _update(facility, at, code, cls, cap, free, kind="update", reserved=0):
    BedUpdate.objects.create(at=at, facility=facility, bed_class_id=cls, room_code=code, kind=kind,
                             source="api", actor_label="t", capacity=cap, free=free,
                             reserved=reserved)  # fmt: skip


def test_occupancy_series_on_hand_made_history(make_hospital):
    a, b = make_hospital(), make_hospital(village="3374101001")
    t0 = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    h = timedelta(hours=1)
    _update(a, t0 - h, "I1", "ICU", 10, 10, kind="create")  # 0 occupied before the window
    _update(a, t0 + 30 * timedelta(minutes=1), "I1", "ICU", 10, 4)  # 6 occupied from 00:30
    _update(a, t0 + h, "K1", "KL3", 20, 10, kind="create", reserved=5)  # 5 occupied at 01:00
    _update(b, t0 + h, "K9", "KL3", 10, 0, kind="create")  # 10 occupied at 01:00
    _update(a, t0 + 2 * h + timedelta(seconds=1), "I1", "ICU", 10, 4, kind="delete")
    times = selectors.bucket_times(t0, t0 + 3 * h, h)
    assert len(times) == 4
    s = selectors.occupancy_series(times=times)
    assert s["classes"]["ICU"] == [0.0, 0.6, 0.6, None]
    assert s["classes"]["KL3"] == [None, 0.5, 0.5, 0.5]
    assert s["total"] == [0.0, 21 / 40, 21 / 40, 0.5]
    assert s["capacity"] == [10, 40, 40, 30] and s["occupied"] == [0, 21, 21, 15]
    # per hospital and per class
    only_b = selectors.occupancy_series(times=times, facility_ids=[b.pk])
    assert only_b["total"] == [None, 1.0, 1.0, 1.0]
    icu = selectors.occupancy_series(times=times, bed_class="icu")
    assert list(icu["classes"]) == ["ICU"]
    # the area filter uses the region prefix
    assert selectors.occupancy_series(times=times, area="337410")["total"][-1] == 1.0
    assert selectors.occupancy_series(times=[])["total"] == []


# --- issue 12: export links and header totals follow the filter -----------------------------


def _export_links(html: str) -> dict[str, str]:
    links = re.findall(r'<a href="(/api/v1/public/beds/export\?[^"]+)">(CSV|XLSX)</a>', html)
    return {fmt: href.replace("&amp;", "&") for href, fmt in links}


def _totals(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-total="(\w+)">(\d+)<', html)}


@pytest.mark.parametrize(
    "params, carries",
    [
        ({}, {}),
        ({"kelas": "", "kecamatan": ""}, {}),
        ({"kelas": "ICU"}, {"kelas": "ICU"}),
        ({"kecamatan": "337410"}, {"kecamatan": "337410"}),
        ({"kelas": "KL3", "kecamatan": "337401"}, {"kelas": "KL3", "kecamatan": "337401"}),
    ],
)
def test_board_export_links_carry_only_the_filters_in_use(client, two_hospitals, params, carries):
    from urllib.parse import parse_qs, urlsplit

    html = client.get(reverse("beds:board"), params).content.decode()
    links = _export_links(html)
    assert set(links) == {"CSV", "XLSX"}
    for fmt, href in links.items():
        query = parse_qs(urlsplit(href).query, keep_blank_values=True)
        assert query == {**{k: [v] for k, v in carries.items()}, "format": [fmt.lower()]}
        resp = client.get(href)
        assert resp.status_code == 200, resp.content[:200]
    rows = client.get(links["CSV"]).content.decode().splitlines()[1:]
    assert rows
    if "kelas" in carries:
        assert all(f",{carries['kelas']}," in r for r in rows)


@pytest.mark.parametrize(
    "params, totals",
    [
        ({}, {"hospitals": 2, "free": 19}),
        ({"kelas": "", "kecamatan": ""}, {"hospitals": 2, "free": 19}),
        ({"kecamatan": "337410"}, {"hospitals": 1, "free": 12}),
        ({"kelas": "ICU"}, {"hospitals": 2, "free": 2}),
        ({"kelas": "ICU", "kecamatan": "337410"}, {"hospitals": 1, "free": 0}),
        ({"kelas": "VIP"}, {"hospitals": 0, "free": 0}),
    ],
)
def test_board_header_totals_follow_the_filter(client, two_hospitals, params, totals):
    html = client.get(reverse("beds:board"), params).content.decode()
    assert _totals(html) == {**totals, "stale": 0}


def test_board_summary_counts_stale_hospitals_of_the_filter(two_hospitals):
    a, b = two_hospitals
    Room.objects.filter(facility=b).update(reported_at=timezone.now() - timedelta(days=2))
    selectors.reset_snapshot()
    assert selectors.board_summary("3374")["stale"] == 1
    assert selectors.board_summary("3374", kecamatan="337401")["stale"] == 0
    assert selectors.board_summary("3374", kecamatan="337410")["stale"] == 1
    assert selectors.board_summary("3374", kelas="icu")["hospitals"] == 2
