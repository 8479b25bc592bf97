"""The office's report over a period: figures against hand-built events (percentiles on tiny
sets, period bounds in local time, a refusal while the hospital's own report showed a free
bed), the period picker's refusals, the exports and the monthly PDF."""

import io
import re
import zlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from sigap.core.errors import InvalidInput
from sigap.monitoring import periods, reports
from sigap.monitoring.selectors import office_scope
from tests.monitoring.conftest import SEMARANG_KEL, hospital, incident, referral

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
TODAY = date(2026, 5, 20)
NOW = datetime(2026, 5, 20, 10, tzinfo=WIB)


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


def build(user, kind="bulan", value="2026-03", by="kecamatan"):
    period = periods.parse_period(kind, value, TODAY)
    return reports.build(user, office_scope(user), period, by, now=NOW)


def cells(report, key):
    table = report.table(key)
    return {row[0]: row[1:] for row in table.rows}


# --- figures ------------------------------------------------------------------------------------


def test_stats_on_tiny_sets_use_numpy_linear_percentiles():
    assert reports.stats([]) == {"n": 0, "median": None, "p90": None}
    assert reports.stats([None, None]) == {"n": 0, "median": None, "p90": None}
    assert reports.stats([7]) == {"n": 1, "median": 7.0, "p90": 7.0}
    assert reports.stats([1, 2]) == {"n": 2, "median": 1.5, "p90": 1.9}
    assert reports.stats([5, 1, 4, None, 2, 3]) == {"n": 5, "median": 3.0, "p90": 4.6}


def test_small_denominators_are_not_judged():
    assert reports.judged(3.0, 4) == "terlalu sedikit untuk dinilai"
    assert reports.judged(3.0, 5) == 3.0
    assert reports.judged(None, 0) == "—"
    assert reports.share(1, 4) == "terlalu sedikit untuk dinilai"
    assert reports.share(2, 5) == 40.0
    assert reports.share(0, 0) == "—"


@pytest.mark.parametrize(
    "note, group",
    [("Tempat tidur penuh", "bed"), ("(simulasi) IGD penuh", "bed"), ("TT habis", "bed"),
     ("Dokter spesialis cuti", "staff"), ("Ventilator rusak", "equipment"),
     ("Pasien minta pulang", "other"), ("", "other")],
)  # fmt: skip
def test_refusal_notes_are_grouped(note, group):
    assert reports.refusal_group(note) == group


# --- periods ------------------------------------------------------------------------------------


def test_month_and_quarter_bounds_are_local_days():
    march = periods.parse_period("bulan", "2026-03", TODAY)
    assert march.start == wib(2026, 3, 1) and march.end == wib(2026, 4, 1)
    assert march.start.astimezone(ZoneInfo("UTC")).hour == 17  # 28 Feb 17:00 UTC
    q1 = periods.parse_period("triwulan", "2026-q1", TODAY)
    assert (q1.first, q1.last, q1.value) == (date(2026, 1, 1), date(2026, 3, 31), "2026-Q1")
    year = periods.parse_period("tahun", "2025", TODAY)
    assert year.days == 365 and not year.in_progress and year.label == "Tahun 2025"
    rng = periods.parse_period("rentang", "", TODAY, since="2026-02-27", until="2026-03-02")
    assert rng.days == 4 and [m.month for m in rng.months] == [2, 3]


def test_current_period_is_labelled_berjalan():
    assert periods.parse_period("bulan", "", TODAY).label == "Mei 2026 (berjalan)"
    assert "berjalan" in periods.parse_period("triwulan", "", TODAY).label
    assert "berjalan" not in periods.parse_period("bulan", "2026-04", TODAY).label


@pytest.mark.parametrize(
    "kind, value, since, until, field",
    [("minggu", "", "", "", "periode"), ("bulan", "2026-13", "", "", "bulan"),
     ("bulan", "2026-3", "", "", "bulan"), ("triwulan", "2026-Q5", "", "", "triwulan"),
     ("tahun", "1999", "", "", "tahun"), ("tahun", "99999", "", "", "tahun"),
     ("rentang", "", "2026-03-02", "2026-03-01", "sampai"), ("rentang", "", "x", "", "dari"),
     ("rentang", "", "2020-01-01", "2026-01-01", "sampai")],
)  # fmt: skip
def test_bad_periods_are_refused_on_their_field(kind, value, since, until, field):
    with pytest.raises(InvalidInput) as err:
        periods.parse_period(kind, value, TODAY, since=since, until=until)
    assert err.value.field == field


# --- response times -----------------------------------------------------------------------------


def test_response_times_per_phase_and_the_month_boundary_in_local_time(analyst):
    for minutes in (4, 8, 10, 12, 30):
        incident(received_at=wib(2026, 3, 10, 8), on_scene_after=minutes, status="closed")
    incident(received_at=wib(2026, 3, 31, 23, 50), on_scene_after=6, status="closed")  # in March
    incident(received_at=wib(2026, 4, 1, 0, 5), on_scene_after=99, status="closed")  # April
    incident(received_at=wib(2026, 2, 28, 23, 59), on_scene_after=99, status="closed")  # Feb
    report = build(analyst)
    phases = cells(report, "response_phases")
    # responses 4, 6, 8, 10, 12, 30 (dispatch one minute after the call)
    assert phases["Panggilan → tiba di lokasi (waktu respons)"] == [6, 9.0, 21.0]
    assert phases["Panggilan → ambulans dikirim"] == [6, 1.0, 1.0]
    assert phases["Ambulans dikirim → tiba di lokasi"] == [6, 8.0, 20.0]
    assert phases["Lokasi → tiba di rumah sakit"] == [0, "—", "—"]
    triage = cells(report, "response_triage")
    assert triage["Semua"][:2] == [6, 6]
    assert cells(report, "response_area")["Semarang Tengah"][0] == 6


def test_a_few_incidents_are_too_few_to_judge(analyst):
    incident(received_at=wib(2026, 3, 10, 8), on_scene_after=5, status="closed")
    row = cells(build(analyst), "response_phases")["Panggilan → tiba di lokasi (waktu respons)"]
    assert row == [1, "terlalu sedikit untuk dinilai", "terlalu sedikit untuk dinilai"]


def test_empty_period_has_tables_without_rows(analyst):
    report = build(analyst, "tahun", "2020")
    assert report.table("response_triage").rows == []
    assert report.table("referral_hospitals").rows == []
    assert cells(report, "referral_summary")["Rujukan masuk ke rumah sakit di wilayah"][0] == 0


# --- referrals and the trust in bed data --------------------------------------------------------


def bed_update(facility, at, cls, free, capacity=10, code=None, kind="update"):
    from sigap.beds.models import BedUpdate

    BedUpdate.objects.create(at=at, facility=facility, bed_class_id=cls, room_code=code or cls,
                             kind=kind, source="api", actor_label="uji", capacity=capacity,
                             free=free)  # fmt: skip


def refusal(receiver, at, note, cls="ICU", *, incident_ref=""):
    from sigap.referrals.models import Referral, ReferralEvent

    r = referral(receiver, status="rejected")
    Referral.objects.filter(pk=r.pk).update(created_at=at, room_class_id=cls,
                                            incident_ref=incident_ref)  # fmt: skip
    ReferralEvent.objects.create(referral=r, at=at, action="reject", from_status="sent",
                                 to_status="rejected", facility=receiver, actor_label="uji",
                                 note=note)  # fmt: skip
    return r


def test_refusal_while_its_own_report_showed_a_free_bed(analyst):
    alfa, beta = hospital("RS Alfa"), hospital("RS Beta")
    bed_update(alfa, wib(2026, 3, 1, 8), "ICU", free=2, kind="create")
    bed_update(beta, wib(2026, 3, 1, 8), "ICU", free=0, kind="create")
    refusal(alfa, wib(2026, 3, 5, 9), "Tempat tidur penuh")  # report said 2 free
    refusal(beta, wib(2026, 3, 5, 9), "ICU penuh")  # report said full: consistent
    # an update at the very moment of the refusal is not what the hospital had shown
    bed_update(beta, wib(2026, 3, 6, 9), "ICU", free=3)
    refusal(beta, wib(2026, 3, 6, 9), "Tempat tidur penuh", incident_ref="PSC-1")
    refusal(alfa, wib(2026, 3, 7, 9), "Dokter jaga tidak ada")  # not about beds
    report = build(analyst)
    trust = cells(report, "bed_trust")
    assert trust["RS Alfa"][:2] == [1, 1]
    assert trust["RS Beta"][:2] == [2, 0]
    reasons = {(r[0], r[1]): r[2:] for r in report.table("refusal_reasons").rows}
    assert reasons[("RS Beta", "Tempat tidur penuh")] == [2, 1]
    assert reasons[("RS Alfa", "Tenaga medis tidak tersedia")] == [1, 0]
    summary = cells(report, "referral_summary")
    assert summary["Rujukan masuk ke rumah sakit di wilayah"][0] == 4
    assert summary["Serah terima PSC 119"][0] == 1


def test_occupancy_and_reporting_days(analyst):
    alfa = hospital("RS Alfa")
    bed_update(alfa, wib(2026, 2, 20, 8), "KL3", free=4, kind="create")  # 60% occupied
    bed_update(alfa, wib(2026, 3, 16, 8), "KL3", free=10)  # empty from the 16th
    report = build(analyst)
    row = cells(report, "bed_occupancy")["RS Alfa"]
    # 15 days at 6/10, 16 days at 0/10
    assert row[0] == 10 and row[1] == round(100 * 90 / 310, 1)
    assert row[2:] == [1, 1, 31, round(100 / 31, 1)]


def test_maternal_neonatal_and_top_diagnoses(analyst):
    from sigap.referrals.models import Referral

    alfa = hospital("RS Alfa")
    for code in ("O72", "O72", "P07", "A09"):
        r = referral(alfa)
        Referral.objects.filter(pk=r.pk).update(created_at=wib(2026, 3, 3), diagnosis_code=code)
    report = build(analyst)
    summary = cells(report, "referral_summary")
    assert summary["Maternal (ICD-10 O00–O99)"][0] == 2
    assert summary["Neonatal (ICD-10 P00–P96)"][0] == 1
    assert report.table("referral_diagnoses").rows[0][:3] == ["O72", "Diare", 2]


def test_home_visits_by_puskesmas_and_missed_reasons(analyst):
    from sigap.homecare.models import Visit
    from tests.monitoring.conftest import visit

    visit(SEMARANG_KEL, date(2026, 3, 2), "done")
    v = visit(SEMARANG_KEL, date(2026, 3, 31), "missed")
    Visit.objects.filter(pk=v.pk).update(status_reason="Rumah kosong")
    visit(SEMARANG_KEL, date(2026, 4, 1), "done")  # next month
    row = cells(build(analyst), "homecare_visits")["Semarang Tengah"]
    assert row[:5] == [2, 1, 1, 0, 0]
    assert build(analyst).table("homecare_missed").rows == [["Rumah kosong", 1]]


# --- pages and downloads ------------------------------------------------------------------------


def client_as(user):
    c = Client()
    c.force_login(user)
    return c


def test_page_shows_tables_and_refuses_a_bad_period(analyst, make_user):
    c = client_as(analyst)
    r = c.get("/dinkes/laporan/", {"periode": "triwulan", "triwulan": "2026-Q1"})
    html = r.content.decode()
    assert r.status_code == 200 and "Triwulan 1 2026" in html
    assert 'id="t-bed_trust"' in html and "response_phases" in html
    bad = c.get("/dinkes/laporan/", {"periode": "bulan", "bulan": "2026-13"})
    assert bad.status_code == 400 and "Periode tidak dikenali." in bad.content.decode()
    assert c.get("/dinkes/laporan/", {"format": "pdf"}).status_code == 404
    assert c.get("/dinkes/laporan/", {"format": "csv", "tabel": "nope"}).status_code == 404
    other = client_as(make_user("rs", "hospital_operator", area_code="3374"))
    assert other.get("/dinkes/laporan/").status_code == 403
    assert other.get("/dinkes/laporan/bulanan.pdf").status_code == 403
    assert c.get("/dinkes/laporan/", {"wilayah": "3371"}).status_code == 404


def test_csv_and_xlsx_exports_carry_the_tables(analyst):
    for minutes in (4, 8, 10, 12, 30):
        incident(received_at=timezone.now() - timedelta(minutes=90), on_scene_after=minutes)
    c = client_as(analyst)
    q = {"periode": "bulan", "format": "csv", "tabel": "response_phases"}
    csv = c.get("/dinkes/laporan/", q)
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0] == "Fase,n,Median,Persentil ke-90"
    assert "Panggilan → tiba di lokasi (waktu respons),5,10.0,22.8" in lines
    one = c.get("/dinkes/laporan/", {**q, "format": "xlsx"})
    ws = load_workbook(io.BytesIO(one.content)).active
    assert [cell.value for cell in ws[1]] == ["Fase", "n", "Median", "Persentil ke-90"]
    whole = c.get("/dinkes/laporan/", {"periode": "bulan", "format": "xlsx"})
    wb = load_workbook(io.BytesIO(whole.content))
    assert {"laporan", "response_phases", "bed_trust", "jkn", "kia"} <= set(wb.sheetnames)
    assert wb["laporan"]["B2"].value == "Kota Semarang"


def pdf_text(body: bytes) -> str:
    """The text of an fpdf2 PDF: its Flate streams inflated (fpdf2 writes text as literals)."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
        try:
            out.append(zlib.decompress(m.group(1)).decode("latin-1"))
        except zlib.error:
            out.append(m.group(1).decode("latin-1"))
    return "\n".join(out)


def test_monthly_pdf(analyst):
    alfa = hospital("RS Alfa")
    bed_update(alfa, wib(2026, 3, 1, 8), "ICU", free=2, kind="create")
    c = client_as(analyst)
    r = c.get("/dinkes/laporan/bulanan.pdf", {"month": "2026-03"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert "laporan-bulanan-3374-2026-03.pdf" in r["Content-Disposition"]
    body = r.content
    assert body.startswith(b"%PDF-") and len(body) > 2000
    pages = len(re.findall(rb"/Type\s*/Page\b", body))
    assert pages >= 1
    text = pdf_text(body)
    for words in (
        "Laporan bulanan Dinas Kesehatan", "Kota Semarang", "Maret 2026", "RS Alfa",
        "Keandalan data tempat tidur", "Panggilan -> tiba di lokasi",
    ):  # fmt: skip
        assert words in text
    assert re.search(r"dibuat \d\d/\d\d/\d{4} \d\d:\d\d", text)
    assert c.get("/dinkes/laporan/bulanan.pdf", {"month": "2026-3"}).status_code == 400
    assert c.get("/dinkes/laporan/bulanan.pdf").status_code == 200  # last month by default


def test_refusal_without_a_bed_class_is_not_judged_and_province_scope_sums_areas(
    analyst, provincial
):
    from tests.monitoring.conftest import MAGELANG_KEL

    alfa, tidar = hospital("RS Alfa"), hospital("RS Tidar", village=MAGELANG_KEL)
    bed_update(alfa, wib(2026, 3, 1, 8), "ICU", free=2, kind="create")
    bed_update(tidar, wib(2026, 3, 1, 8), "ICU", free=2, kind="create")
    refusal(alfa, wib(2026, 3, 5, 9), "Tempat tidur penuh", cls=None)
    refusal(tidar, wib(2026, 3, 5, 9), "Tempat tidur penuh")
    city = build(analyst)
    trust = city.table("bed_trust")
    assert {r[0] for r in trust.rows} == {"RS Alfa"}  # Magelang is another area
    assert trust.rows[0][1:4] == [1, 0, "—"]
    assert "1 penolakan tanpa kelas tempat tidur tidak dinilai." in trust.note
    province = cells(build(provincial), "bed_trust")
    assert province["RS Tidar"][:2] == [1, 1]
    # the same report twice reads the same figures
    assert build(analyst).tables[3:] == city.tables[3:]
