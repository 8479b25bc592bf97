"""Security properties across the bed board: hospital scoping, no personal data in public,
security headers, failed-login throttling, a read-only audit trail."""

import csv
import io
import json
import re

import pytest
from django.test import Client

from sigap.beds import selectors, services
from sigap.beds.models import AplicareCredential, BedUpdate, Room
from sigap.core.models import ApiKey, AuditEvent
from sigap.core.services import Actor
from tests.beds.conftest import make_hospital, operator_of, semarang  # noqa: F401 - fixtures
from tests.beds.test_aplicare import aplicare_headers

PASSWORD = "rahasia-uji-123"
NIK = "3374014101900001"  # a NIK-shaped number (synthetic)


def room(code: str, cls: str = "KL3", cap: int = 10, free: int = 4) -> services.RoomInput:
    return services.RoomInput(bed_class=cls, code=code, name=f"Ruang {code}", capacity=cap,
                              free=free)  # fmt: skip


@pytest.fixture
def two_hospitals(make_hospital, operator_of):  # noqa: F811 - pytest fixture injection
    a = make_hospital("RS Alfa", bpjs_kodeppk="0901R001")
    b = make_hospital("RS Beta", bpjs_kodeppk="0901R002")
    op_a = operator_of(a, "siti.operator")
    op_a.first_name, op_a.last_name, op_a.email = "Siti", "Rahayuningsih", "siti@rs-alfa.example"
    op_a.phone = "081234567890"
    op_a.save()
    op_b = operator_of(b, "budi.operator")
    for h, op in ((a, op_a), (b, op_b)):
        actor = Actor(user=op, channel="web", remote_addr="10.1.2.3")
        services.upsert_room(actor, h, room("R1", "ICU", 4, 1), source="operator")
        services.upsert_room(actor, h, room("R2", "KL3", 20, 5), source="operator")
        services.upsert_room(actor, h, room("R2", "KL3", 20, 6), source="operator")
    AplicareCredential.objects.create(facility=a, cons_id="1001", secret="rahasia-a")
    AplicareCredential.objects.create(facility=b, cons_id="2002", secret="rahasia-b")
    selectors.reset_snapshot()
    return a, b, op_a, op_b


def state(facility) -> list[tuple]:
    return list(
        Room.objects.filter(facility=facility)
        .order_by("pk")
        .values_list("bed_class_id", "code", "capacity", "free", "reserved", "waiting")
    )


# --- hospital A's operator and hospital B's data ------------------------------------------


def test_operator_of_a_cannot_read_or_change_b_through_the_api(client, two_hospitals):
    a, b, op_a, _op_b = two_hospitals
    _key, raw = ApiKey.generate(op_a, "SIMRS Alfa")
    auth = {"Authorization": f"Bearer {raw}"}
    b_before, history_before = state(b), BedUpdate.objects.filter(facility=b).count()
    audits = AuditEvent.objects.count()
    for ref in (str(b.public_id), b.bpjs_kodeppk):
        base = f"/api/v1/beds/facilities/{ref}"
        assert client.get(f"{base}/rooms", headers=auth).status_code == 403
        assert client.get(f"{base}/history", headers=auth).status_code == 403
        body = {"namaruang": "Diambil alih", "kapasitas": 9, "tersedia": 9}
        for method, url in (("put", f"{base}/rooms/KL3/R2"), ("put", f"{base}/rooms/VIP/NEW"),
                            ("patch", f"{base}/rooms/KL3/R2")):  # fmt: skip
            r = getattr(client, method)(url, body, content_type="application/json", headers=auth)
            assert r.status_code == 403, (method, url, r.content)
            assert r.json()["code"] == "forbidden"
        assert client.delete(f"{base}/rooms/KL3/R2", headers=auth).status_code == 403
    assert state(b) == b_before
    assert BedUpdate.objects.filter(facility=b).count() == history_before
    assert AuditEvent.objects.count() == audits
    # ... while A's own rooms are open to the same key.
    assert client.get(f"/api/v1/beds/facilities/{a.public_id}/rooms", headers=auth).status_code == (
        200
    )


def test_operator_of_a_with_a_session_cannot_read_b(two_hospitals):
    _a, b, _op_a, _op_b = two_hospitals
    browser = Client()
    browser.post("/masuk/", {"username": "siti.operator", "password": PASSWORD})
    assert "_auth_user_id" in browser.session
    assert browser.get(f"/api/v1/beds/facilities/{b.public_id}/rooms").status_code == 403
    assert browser.get(f"/api/v1/beds/facilities/{b.public_id}/history").status_code == 403


@pytest.mark.parametrize("role", ["public", "analyst", "puskesmas_staff", "dispatcher"])
def test_other_roles_cannot_operate_rooms(client, two_hospitals, make_user, role):
    a, _b, _op_a, _op_b = two_hospitals
    _key, raw = ApiKey.generate(make_user(f"u-{role}", role, area_code="3374"), "k")
    r = client.get(f"/api/v1/beds/facilities/{a.public_id}/rooms",
                   headers={"Authorization": f"Bearer {raw}"})  # fmt: skip
    assert r.status_code == 403


def test_aplicare_credentials_of_a_cannot_write_b(client, two_hospitals):
    _a, b, _op_a, _op_b = two_hospitals
    before, audits = state(b), AuditEvent.objects.count()
    body = {"kodekelas": "KL3", "koderuang": "R2", "namaruang": "X", "kapasitas": "20",
            "tersedia": "0"}  # fmt: skip
    for op, payload in (("update", body), ("create", body | {"koderuang": "BARU"}),
                        ("delete", {"kodekelas": "KL3", "koderuang": "R2"})):  # fmt: skip
        r = client.post(f"/aplicaresws/rest/bed/{op}/{b.bpjs_kodeppk}", json.dumps(payload),
                        content_type="application/json",
                        headers=aplicare_headers("1001", "rahasia-a"))  # fmt: skip
        assert r.json()["metadata"]["code"] == 403, r.content
    r = client.get(f"/aplicaresws/rest/bed/read/{b.bpjs_kodeppk}/1/50",
                   headers=aplicare_headers("1001", "rahasia-a"))  # fmt: skip
    assert r.json()["metadata"]["code"] == 403 and r.json()["response"] is None
    # B's own secret signed by A's cons-id is no key either.
    r = client.post(f"/aplicaresws/rest/bed/update/{b.bpjs_kodeppk}", json.dumps(body),
                    content_type="application/json",
                    headers=aplicare_headers("1001", "rahasia-b"))  # fmt: skip
    assert r.json()["metadata"]["code"] == 401
    assert state(b) == before and AuditEvent.objects.count() == audits


# --- nothing public carries personal data ---------------------------------------------------


def _assert_no_personal_data(text: str, where: str) -> None:
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", text), f"NIK-like number in {where}"
    for needle in ("siti.operator", "budi.operator", "Rahayuningsih", "siti@rs-alfa.example",
                   "081234567890", "10.1.2.3", "actor", "operator"):  # fmt: skip
        assert needle.lower() not in text.lower(), f"{needle!r} in {where}"


def test_public_board_api_and_exports_carry_no_personal_data(client, two_hospitals):
    a, _b, op_a, _op_b = two_hospitals
    # Personal data exists in the system (a NIK in a user's profile, names, the audit trail) ...
    op_a.last_name = f"Rahayuningsih {NIK}"
    op_a.save()
    assert AuditEvent.objects.filter(actor_label="siti.operator").exists()
    # ... and none of it reaches the public API, its exports or the public page.
    board = client.get("/api/v1/public/beds", {"lat": -6.98, "lon": 110.41})
    assert board.status_code == 200 and len(board.json()) == 2
    _assert_no_personal_data(board.content.decode(), "public beds API")
    keys = set().union(*(h.keys() for h in board.json()))
    assert not keys & {"operators", "actor", "actor_label", "history", "email", "nik", "user"}
    assert "hospital" not in json.dumps(board.json()[0]["beds"])

    export = client.get("/api/v1/public/beds/export", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert len(rows) > 1
    _assert_no_personal_data(export.content.decode(), "CSV export")

    from openpyxl import load_workbook

    xlsx = client.get("/api/v1/public/beds/export", {"format": "xlsx"})
    cells = " ".join(
        str(c) for row in load_workbook(io.BytesIO(xlsx.content), read_only=True).active.iter_rows(
            values_only=True) for c in row if c is not None
    )  # fmt: skip
    _assert_no_personal_data(cells, "XLSX export")

    classes = client.get("/api/v1/public/bed-classes")
    _assert_no_personal_data(classes.content.decode(), "bed classes")

    page = client.get("/tempat-tidur/")
    assert page.status_code == 200
    html = re.sub(r"<(script|style)\b.*?</\1>", "", page.content.decode(), flags=re.S)
    html = re.sub(r'nonce="[^"]*"|csrfmiddlewaretoken" value="[^"]*"', "", html)
    assert "siti.operator" not in html and "Rahayuningsih" not in html
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", html)


# --- security headers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/tempat-tidur/", "/masuk/", "/api/v1/public/beds", "/api/v1/public/beds/export",
     "/api/docs", "/fo/index.php/Fasyankes"],
)  # fmt: skip
def test_security_headers(client, two_hospitals, url):
    r = client.get(url)
    assert r.status_code < 500
    csp = r["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
    assert directives["default-src"] == "'self'"
    script_src = directives["script-src"].split()
    assert "'self'" in script_src and "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    # Only 'self' and a per-response nonce (Django adds the nonce when the page used it).
    assert all(s == "'self'" or s.startswith("'nonce-") for s in script_src), script_src
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["X-Frame-Options"] == "DENY"
    assert r["Referrer-Policy"] == "same-origin"


def test_inline_scripts_on_pages_carry_the_csp_nonce(client, two_hospitals):
    for url in ("/tempat-tidur/", "/masuk/"):
        r = client.get(url)
        found = re.search(r"'nonce-([^']+)'", r["Content-Security-Policy"])
        nonce = found.group(1) if found else None
        for tag in re.findall(r"<script\b[^>]*>", r.content.decode()):
            if "src=" in tag or 'type="application/json"' in tag:  # files, or inert data
                continue
            assert nonce and f'nonce="{nonce}"' in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=\"", r.content.decode()), f"inline handler on {url}"


# --- failed-login throttling ------------------------------------------------------------------


def test_sixth_login_after_five_failures_is_refused_even_with_the_right_password(
    two_hospitals, settings
):
    assert settings.AXES_FAILURE_LIMIT == 5
    browser = Client()
    for _ in range(5):
        r = browser.post("/masuk/", {"username": "siti.operator", "password": "tebakan"})
        assert "_auth_user_id" not in browser.session
        assert r.status_code in (200, 429)
    r = browser.post("/masuk/", {"username": "siti.operator", "password": PASSWORD})
    assert r.status_code == 429
    assert "_auth_user_id" not in browser.session
    # Another account from the same address is not locked by someone else's failures.
    other = Client()
    other.post("/masuk/", {"username": "budi.operator", "password": PASSWORD})
    assert "_auth_user_id" in other.session


def test_failures_below_the_limit_do_not_lock(two_hospitals):
    browser = Client()
    for _ in range(4):
        browser.post("/masuk/", {"username": "siti.operator", "password": "tebakan"})
    browser.post("/masuk/", {"username": "siti.operator", "password": PASSWORD})
    assert "_auth_user_id" in browser.session


# --- the audit trail is read-only -------------------------------------------------------------


def test_audit_admin_is_read_only_even_for_superusers(client, two_hospitals, make_user):
    from django.contrib import admin
    from django.test import RequestFactory

    root = make_user("root", "admin", is_staff=True, is_superuser=True)
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    request.user = root
    event = AuditEvent.objects.filter(action="bed.room.update").first()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)

    client.force_login(root)
    changelist = client.get("/admin/core/auditevent/")
    assert changelist.status_code == 200 and b"bed.room.update" in changelist.content
    before = AuditEvent.objects.count()
    delete_selected = {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    client.post("/admin/core/auditevent/", delete_selected)
    client.post(f"/admin/core/auditevent/{event.pk}/change/", {"action": "dihapus"})
    assert client.get("/admin/core/auditevent/add/").status_code == 403
    event.refresh_from_db()
    assert event.action == "bed.room.update" and AuditEvent.objects.count() == before
