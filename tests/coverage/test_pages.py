"""Coverage pages and API through Django's test client: roles, uploads, downloads, audit."""

import io
from datetime import date

import pytest

from sigap.core.models import AuditEvent
from sigap.coverage import services
from sigap.coverage.models import QuotaRun, Snapshot, Worker

from .conftest import KEL_A, KEL_B, MEM_HEADER, POP_HEADER, TODAY, person, write_csv

pytestmark = pytest.mark.django_db
MAY = date(2026, 5, 1)
PEOPLE = [person("337401", date(1990, 1, 1 + i), 50 + i, KEL_A if i % 2 else KEL_B)
          for i in range(8)]  # fmt: skip


@pytest.fixture
def data(semarang, cli, tmp_path):
    services.import_snapshot(cli, "population", write_csv(tmp_path / "p.csv", POP_HEADER, PEOPLE),
                             MAY, today=TODAY)  # fmt: skip
    members = [[p[0], "1", "PBI-APBN", "1", "", "", "3"] for p in PEOPLE[:6]]
    services.import_snapshot(cli, "membership", write_csv(tmp_path / "m.csv", MEM_HEADER, members),
                             MAY, today=TODAY)  # fmt: skip


@pytest.fixture
def office(client, make_user):
    client.force_login(make_user("analis", "analyst", area_code="3374"))
    return client


def test_pages_need_an_office_role(client, make_user, data):
    for url in ("/dinkes/jkn/", "/dinkes/jkn/impor/", "/dinkes/jkn/belum-terdaftar/",
                "/dinkes/jkn/kuota/", "/dinkes/jkn/pekerja/"):  # fmt: skip
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_user("perawat", "puskesmas_staff", area_code="3374"))
    assert client.get("/dinkes/jkn/belum-terdaftar/").status_code == 403
    assert client.get("/dinkes/jkn/belum-terdaftar/?format=csv").status_code == 403


def test_dashboard_shows_coverage_and_uhc(office, data):
    html = office.get("/dinkes/jkn/").content.decode()
    assert "75.00%" in html  # 6 of 8
    assert "Belum UHC" in html
    html = office.get("/dinkes/jkn/?tingkat=kelurahan").content.decode()
    assert "Miroto" in html and "Bandarharjo" in html
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>")[0]


def test_uninsured_list_masks_and_export_is_audited(office, data):
    html = office.get("/dinkes/jkn/belum-terdaftar/").content.decode()
    uninsured = [p[0] for p in PEOPLE[6:]]
    assert all(n not in html for n in uninsured)
    assert uninsured[0][:4] + "xxxxxxxx" + uninsured[0][-4:] in html
    resp = office.get("/dinkes/jkn/belum-terdaftar/?format=csv")
    body = resp.content.decode()
    assert resp["Content-Type"].startswith("text/csv") and all(n in body for n in uninsured)
    event = AuditEvent.objects.get(action="coverage.download.uninsured")
    assert event.actor.username == "analis" and event.after["rows"] == 2
    resp = office.get("/dinkes/jkn/belum-terdaftar/?format=xlsx")
    assert resp["Content-Type"].startswith("application/vnd.openxml")
    assert AuditEvent.objects.filter(action="coverage.download.uninsured").count() == 2


def test_upload_import_and_rejection_report(office, semarang):
    buf = io.StringIO()
    buf.write(",".join(POP_HEADER) + "\n")
    for p in PEOPLE[:3]:
        buf.write(",".join(p) + "\n")
    buf.write("123," + ",".join(PEOPLE[0][1:]) + "\n")
    upload = io.BytesIO(buf.getvalue().encode())
    upload.name = "penduduk.csv"
    resp = office.post("/dinkes/jkn/impor/", {"jenis": "population", "periode": "2026-05",
                                              "berkas": upload})  # fmt: skip
    snap = Snapshot.objects.get()
    assert resp.status_code == 302 and resp["Location"].endswith(f"{snap.public_id}/")
    assert (snap.rows_accepted, snap.rows_rejected) == (3, 1)
    html = office.get(resp["Location"]).content.decode()
    assert "NIK bukan 16 angka" in html
    resp = office.get(resp["Location"] + "?format=csv")
    assert "123" in resp.content.decode()
    assert AuditEvent.objects.filter(action="coverage.download.rejections").exists()
    # a wrong file type is a clear error and writes nothing
    bad = io.BytesIO(b"x")
    bad.name = "data.json"
    resp = office.post("/dinkes/jkn/impor/", {"jenis": "population", "periode": "2026-05",
                                              "berkas": bad})  # fmt: skip
    assert resp.status_code == 422 and "CSV, XLSX atau Parquet" in resp.content.decode()
    assert Snapshot.objects.count() == 1


def test_quota_page_runs_and_lists_for_bpjs(office, data):
    html = office.get("/dinkes/jkn/kuota/").content.decode()
    assert 'id="chart-projection"' in html
    resp = office.post("/dinkes/jkn/kuota/", {"aksi": "jalankan", "periode": "2026-05",
                                              "kuota": "5"})  # fmt: skip
    run = QuotaRun.objects.get()
    assert resp.status_code == 302 and run.selected == 2
    again = office.post("/dinkes/jkn/kuota/", {"aksi": "jalankan", "periode": "2026-05",
                                               "kuota": "5"})  # fmt: skip
    assert again.status_code == 200 and "sudah dijalankan" in again.content.decode()
    url = f"/dinkes/jkn/kuota/{run.public_id}/"
    office.post(url, {"aksi": "kirim"})
    office.post(url, {"aksi": "aktif", "nik": PEOPLE[6][0]})
    counts = dict(run.enrolments.values_list("nik", "status"))
    assert counts == {PEOPLE[6][0]: "activated", PEOPLE[7][0]: "submitted"}
    body = office.get(url + "?format=csv").content.decode()
    assert PEOPLE[6][0] in body and "PBI-APBD" in body
    assert AuditEvent.objects.filter(action="coverage.download.enrolment_list").exists()


def test_workers_page_registers_and_lists(office, data):
    resp = office.post("/dinkes/jkn/pekerja/", {"aksi": "daftar", "nik": PEOPLE[0][0],
                                                "nama": "Budi", "pekerjaan": "ojek",
                                                "kelurahan": KEL_A, "jht": "1"})  # fmt: skip
    assert resp.status_code == 302 and Worker.objects.get().wants_jht
    bad = {"aksi": "daftar", "nik": "99", "nama": "X", "pekerjaan": "ojek", "kelurahan": KEL_A}
    resp = office.post("/dinkes/jkn/pekerja/", bad)
    assert resp.status_code == 200 and "16 angka" in resp.content.decode()
    resp = office.post("/dinkes/jkn/pekerja/", {"aksi": "bulanan", "periode": "2026-05",
                                                "kuota": "10"})  # fmt: skip
    run = QuotaRun.objects.get(program="workers")
    assert resp.status_code == 302 and run.selected == 1
    body = office.get(f"/dinkes/jkn/kuota/{run.public_id}/?format=csv").content.decode()
    assert "ojek" in body and "36800" in body


KK = PEOPLE[0][1]  # every person of the fixture is in one family card


def test_public_check_answers_only_covered_or_not(client, data):
    member, stranger = PEOPLE[0], PEOPLE[7]
    html = client.post("/cek-jkn/", {"nik": member[0], "nomor": KK}).content
    assert b'data-answer="active"' in html and member[2].encode() not in html
    html = client.post("/cek-jkn/", {"nik": stranger[0], "nomor": KK}).content
    assert b'data-answer="uncovered"' in html
    html = client.post("/cek-jkn/", {"nik": member[0], "nomor": "3374010101000002"}).content
    assert b'data-answer="unknown"' in html  # wrong KK: same as unknown
    assert client.post("/cek-jkn/", {"nik": "12", "nomor": KK}).status_code == 422


def test_public_check_is_rate_limited(client, data, settings):
    from django.core.cache import cache

    cache.clear()
    settings.SIGAP_COVERAGE_LOOKUP_RATE = (3, 60)
    codes = [client.post("/cek-jkn/", {"nik": PEOPLE[0][0], "nomor": KK})
             .status_code for _ in range(4)]  # fmt: skip
    assert codes == [200, 200, 200, 429]
    cache.clear()


def test_api_lookup_report_and_flags(client, make_user, data):
    from django.core.cache import cache

    cache.clear()
    client.force_login(make_user("pkm", "puskesmas_staff", area_code="3374"))
    resp = client.post("/api/v1/coverage/lookup", {"nik": PEOPLE[0][0]},
                       content_type="application/json")  # fmt: skip
    assert resp.status_code == 200 and resp.json()["covered"] and resp.json()["active"]
    resp = client.post("/api/v1/coverage/lookup", {"nik": "1"}, content_type="application/json")
    assert resp.status_code == 422 and resp.json()["field"] == "nik"
    resp = client.post("/api/v1/coverage/flags", {"nik": PEOPLE[7][0], "reason": "pregnant"},
                       content_type="application/json")  # fmt: skip
    assert resp.status_code == 200 and resp.json()["source"] == "puskesmas_staff"
    assert client.get("/api/v1/coverage/report").status_code == 403  # aggregates: office only
    client.logout()
    client.force_login(make_user("analis2", "analyst", area_code="3374"))
    rows = client.get("/api/v1/coverage/report?level=kecamatan").json()
    assert rows[0] == {"code": "337401", "name": "Semarang Tengah", "population": 4,
                       "covered": 3, "active": 3, "pemda": 0, "uncovered": 1, "coverage": 0.75,
                       "active_share": 1.0, "uhc": False, "award": ""}  # fmt: skip
    assert [r["code"] for r in rows] == ["337401", "337402"]
    assert client.get("/api/v1/coverage/report?area=3371").status_code == 403
    assert len(client.get("/api/v1/coverage/trend").json()) == 1
    ages = client.get("/api/v1/coverage/breakdown?by=age").json()
    assert ages[0]["code"] == "25-44" and ages[0]["population"] == 8
    resp = client.get("/api/v1/coverage/uninsured/export")
    assert PEOPLE[7][0] in resp.content.decode()
    resp = client.post("/api/v1/coverage/public/check",
                       {"nik": PEOPLE[0][0], "family_card": KK},
                       content_type="application/json")  # fmt: skip
    assert resp.json() == {"answer": "active"}


def test_chart_css_is_current():
    from pathlib import Path

    from sigap.coverage import charts

    css = Path(charts.__file__).parent / "static" / "coverage" / "charts.css"
    assert css.read_text() == charts.chart_css()
