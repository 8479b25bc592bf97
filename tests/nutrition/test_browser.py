"""Nutrition pages in headless Chromium against a live server: the posyandu entry form (by
keyboard), the e-PPGBM import, the dashboard (chart, map, each child counted once a month,
2T listed), the pregnancy register with its risk reasons, and a death review. The file
command (`sigap growth zscores`) has no page: tests/nutrition/test_growth_command.py."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from sigap.core.services import Actor
from sigap.nutrition import services
from sigap.nutrition.models import DeathReview, Measurement
from tests.helpers import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def console_errors(page):
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield errors
    csp = [e for e in errors if "Content Security Policy" in e or "Content-Security-Policy" in e]
    assert not csp, csp
    assert not [e for e in errors if "TypeError" in e or "ReferenceError" in e], errors


def test_entry_form_by_keyboard(page, staff, facilities, console_errors):
    login(page, staff.username)
    page.goto("/gizi/ukur/")
    expect(page.locator("#f-nik")).to_be_focused()  # waits: autofocus may land after load
    page.keyboard.type("3374010101240001")
    page.keyboard.press("Tab")
    page.keyboard.type("Budi Santoso")
    page.select_option("#f-sex", "L")
    page.fill("#f-birth", "2024-01-10")
    page.fill("#f-date", "2026-01-10")
    page.fill("#f-weight", "11,5")
    page.fill("#f-length", "85")
    page.press("#f-length", "Enter")
    page.wait_for_selector("#last-result")
    result = page.locator("#last-result").inner_text()
    assert "Tersimpan: Budi Santoso" in result and "umur 731 hari" in result
    expect(page.locator("#f-nik")).to_be_focused()
    # the next visit: find the child by name, Enter picks it, Enter saves
    page.fill("#f-date", "2026-02-10")
    page.focus("#f-nik")
    page.keyboard.type("Budi")
    page.wait_for_selector("#child-hits .child-option")
    page.keyboard.press("Enter")
    expect(page.locator("#f-weight")).to_be_focused()
    assert page.locator("#new-child").is_hidden()
    page.keyboard.type("11,4")
    page.press("#f-weight", "Enter")
    page.wait_for_selector("#last-result")
    assert Measurement.objects.filter(child__nik="3374010101240001").count() == 2
    second = Measurement.objects.get(measured_on=date(2026, 2, 10))
    assert second.faltering and second.weight_gain_g == -100
    assert "Berat badan tidak naik" in page.locator("#last-result").inner_text()
    assert page.locator("#recent-table tbody tr").count() == 2


def test_import_shows_the_report(page, staff, facilities, tmp_path, console_errors):
    header = "NIK;Nama;JK;Tgl Lahir;Kec;Desa/Kel;Posyandu;Tanggal Pengukuran;Berat;Tinggi;Cara Ukur"
    kec = "Semarang Tengah"
    rows = [
        f"3374010101240001;Budi;L;10/01/2024;{kec};Miroto;Melati;10/01/2026;11,5;85;Terlentang",
        f"3374010202240002;Sari;P;01/01/2025;{kec};Miroto;Melati;15/01/2026;6,0;72;Terlentang",
        f"3374010303240003;Joko;L;01/01/2025;{kec};Entah;Melati;15/01/2026;8,0;72;Terlentang",
    ]
    path = tmp_path / "eppgbm.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    login(page, staff.username)
    page.goto("/gizi/impor/")
    page.set_input_files("#import-form input[type=file]", str(path))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-report")
    assert page.locator("[data-r=rows]").inner_text() == "3"
    assert page.locator("[data-r=accepted]").inner_text() == "2"
    assert page.locator("[data-r=rejected]").inner_text() == "1"
    assert "Entah" in page.locator("#rejections").inner_text()
    csv_text = page.request.get("/gizi/impor/penolakan.csv").text()
    assert csv_text.startswith("baris,kolom,alasan") and "4,Desa/Kel" in csv_text
    # the severe case (Sari) is listed with no action yet
    page.goto("/gizi/kasus/")
    assert "Sari" in page.locator("#cases-table").inner_text()


def test_dashboard_chart_and_map(page, analyst, staff_actor, make_child, console_errors,
                                 settings):  # fmt: skip
    settings.SIGAP_NUTRITION_MIN_DENOMINATOR = 1  # publish the few children below
    for w, length in [(11.5, 85.0), (11.0, 78.0), (8.0, 85.0)]:
        child = make_child(birth_date=date(2024, 1, 10))
        services.record_measurement(
            staff_actor, child, services.MeasurementInput(date(2026, 1, 10), w, length, "L")
        )
    # the first child weighed again later in the month: counted once, by the later visit
    services.record_measurement(
        staff_actor, child, services.MeasurementInput(date(2026, 1, 24), 8.1, 85.2, "L")
    )
    child = make_child(birth_date=date(2024, 1, 10), kelurahan="3374101001", posyandu="pos2",
                       actor=Actor.system("test"))  # fmt: skip
    services.record_measurement(
        Actor.system("test"), child,
        services.MeasurementInput(date(2026, 1, 12), 11.5, 85.0, "L"),
    )  # fmt: skip
    login(page, analyst.username)
    page.goto("/gizi/?bulan=2026-01&tingkat=kelurahan")
    assert Measurement.objects.count() == 5
    assert page.locator("[data-kpi=measured]").inner_text() == "4"  # children, not visits
    assert page.locator("#chart-trend svg").count() == 1
    page.wait_for_selector("#map[data-markers='2']")
    assert page.locator(".leaflet-container path.kel-marker").count() == 2
    assert page.locator("path.kel-marker.band-very_high").count() == 1  # Miroto: 1 of 3 stunted
    units = page.locator("#units-table tbody").inner_text()
    assert "Miroto" in units and "Pudakpayung" in units
    page.select_option("select[name=tingkat]", "posyandu")
    page.click("#dash-filters button[type=submit]")
    page.wait_for_url(re.compile(r"tingkat=posyandu"))
    assert "Posyandu Melati" in page.locator("#units-table").inner_text()


def test_death_review(page, analyst, staff_actor, console_errors):
    death = services.register_death(staff_actor, services.DeathInput(
        kind="maternal", died_on=date(2026, 2, 1), kelurahan_code="3374011001",
        timing="postpartum", cause_icd10="O72.1", cause="perdarahan pascapersalinan"))  # fmt: skip
    login(page, analyst.username)
    page.goto("/kia/kajian-kematian/")
    page.click("#reviews-table a")
    assert page.locator("#review-status").inner_text() == "menunggu kajian"
    page.fill("#review-reviewed textarea[name=findings]", "Terlambat dirujuk ke RS PONEK")
    page.check("#review-reviewed input[name=delays][value='2']")
    page.select_option("#review-reviewed select[name=avoidable]", "1")
    page.click("#review-reviewed button[type=submit]")
    page.wait_for_selector(".messages li")
    assert page.locator("#review-status").inner_text() == "sudah dikaji"
    page.click("#review-closed button[type=submit]")
    page.wait_for_selector("#review-status:has-text('ditutup')")
    review = DeathReview.objects.get(death=death)
    assert review.status == "closed" and review.delays == ["2"] and review.avoidable
    page.goto("/kia/?tahun=2026")
    assert "perdarahan" not in page.content()  # the indicator page shows no personal data
    # one maternal death, no live births recorded: the ratio is not defined
    cells = page.locator("#mortality-table tbody tr").first.locator("td").all_inner_texts()
    assert cells[0] == "Semarang Tengah" and cells[3] == "1" and cells[4] == "—"


def test_faltering_2t_listed_on_the_dashboard(page, analyst, staff_actor, make_child,
                                              console_errors):  # fmt: skip
    child = make_child(name="Dewi Lestari", birth_date=date(2025, 1, 1))
    for on, w in [(date(2025, 6, 1), 7.0), (date(2025, 7, 1), 7.0), (date(2025, 8, 1), 6.9)]:
        services.record_measurement(staff_actor, child, services.MeasurementInput(on, w, 66.0, "L"))
    login(page, analyst.username)
    page.goto("/gizi/?bulan=2025-08")
    assert page.locator("[data-kpi=faltering_2t]").inner_text() == "1"
    row = page.locator("#faltering-table tbody tr[data-2t='1']")
    assert row.count() == 1 and "Dewi Lestari" in row.inner_text() and "2T" in row.inner_text()


def test_pregnancy_register_shows_the_risk_reasons(page, staff, facilities,
                                                  console_errors):  # fmt: skip
    login(page, staff.username)
    page.goto("/kia/ibu-hamil/baru/")
    expect(page.locator("#p-nik")).to_be_focused()
    page.fill("#p-nik", "3374016002910002")  # born 1991: 35 at the last period
    page.fill("#p-name", "Ibu Sari")
    page.select_option("#p-kel", "3374011001")
    page.fill("#p-lmp", "2026-03-01")
    page.fill("#p-gravida", "2")
    page.fill("#p-parity", "1")
    page.fill("#p-hb", "10,5")
    page.fill("#p-sys", "120")
    page.fill("#p-dia", "80")
    page.check("#p-checklist input[value=previous_caesarean]")
    page.click("#p-save")
    page.wait_for_selector("#pregnancy-result")
    assert page.locator("#pregnancy-risk").inner_text() == "Kehamilan risiko tinggi"
    reasons = page.locator("#pregnancy-reasons li").all_inner_texts()
    assert reasons == [
        "usia ibu ≥ 35 tahun: 35 tahun",
        "anemia (Hb < 11 g/dL): Hb 10,5 g/dL",
        "riwayat operasi sesar",
    ]
    assert page.locator("#pregnancy-homecare").count() == 1
    # a contradiction is refused on the page, nothing saved
    page.fill("#p-nik", "3374015501950002")
    page.fill("#p-name", "Ibu Dua")
    page.fill("#p-sys", "120")
    page.fill("#p-dia", "130")
    page.click("#p-save")
    page.wait_for_selector("#form-error")
    assert "diastolik" in page.locator("#form-error").inner_text()
    # the maternal page lists the high-risk pregnancy with the same reasons
    page.goto("/kia/?tahun=2026")
    table = page.locator("#pregnancies-table").inner_text()
    assert "Ibu Sari" in table and "Hb 10,5 g/dL" in table and "riwayat operasi sesar" in table


def test_correct_then_delete_a_measurement(page, staff, staff_actor, make_child, console_errors):
    child = make_child(name="Rina Uji", birth_date=date(2024, 1, 10))
    services.record_measurement(
        staff_actor, child, services.MeasurementInput(date(2026, 1, 10), 8.0, 85.0, "L")
    )
    login(page, staff.username)
    page.goto("/gizi/ukur/")
    page.click("#recent-table a.fix-link")
    page.wait_for_selector("#correct-form")
    expect(page.locator("#child-cases [data-case-status]")).to_have_text("baru")
    page.fill("#c-weight", "11,5")
    page.click("#c-save")
    page.wait_for_selector(".messages li")
    assert "Pengukuran dikoreksi" in page.locator(".messages").inner_text()
    expect(page.locator("#child-cases [data-case-status]")).to_have_text("ditutup")
    assert Measurement.objects.get().weight_kg == 11.5
    page.fill("#d-reason", "anak salah")
    page.click("#d-delete")
    page.wait_for_url(re.compile(r"/gizi/ukur/"))
    assert "Pengukuran dihapus" in page.locator(".messages").inner_text()
    assert not Measurement.objects.exists()
