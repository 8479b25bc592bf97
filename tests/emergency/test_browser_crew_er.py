"""Chromium: the crew on a 390 px phone accepts the job, records vital signs and takes the
patient to the confirmed hospital; the receiving emergency room on a desktop reads the
clinical summary and sees the arrival estimate change as the ambulance comes nearer."""

import pytest
from playwright.sync_api import expect

from sigap.core.services import Actor
from sigap.emergency import services
from sigap.emergency.models import CrewVitals, Unit
from tests.helpers import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


def open_page(browser, live_server, username, errors, viewport):
    ctx = browser.new_context(base_url=live_server.url, locale="id-ID", viewport=viewport)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, username, until=None)
    return ctx, page


def test_crew_phone_and_er_summary(
    browser, live_server, users, call, make_unit, make_hospital, make_user, settings
):
    from sigap.facilities.models import FacilityOperator

    settings.SIGAP_INCOMING_REFRESH_MS = 700
    rs = make_hospital("RS Jantung Beta", lat=-7.02, lon=110.44)
    op = make_user("op-beta", "hospital_operator")
    FacilityOperator.objects.create(user=op, facility=rs)
    unit = make_unit("GD-11", village="3374011001")
    unit.crew.add(users["crew"])
    inc = call(triage_answers={"tidak_sadar": True}, notes="Pria 60 th, nyeri dada")
    disp = Actor(user=users["dispatcher"], channel="web")
    services.assign_unit(disp, inc, unit)
    services.create_handoff(disp, inc, rs, summary="Curiga infark")
    errors: list[str] = []

    # the crew on a phone: the job is the first thing on the screen
    ctx, page = open_page(browser, live_server, "crew", errors, PHONE)
    page.goto("/gawat-darurat/kru/")
    expect(page.locator("#job")).to_contain_text(inc.number)
    assert page.locator("header.topbar").bounding_box()["height"] <= 60
    assert page.locator("#job").bounding_box()["y"] < 170
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator("#status-form button[value=available]")).to_have_count(0)
    expect(page.locator("#status-form button[value=en_route]")).to_have_count(0)
    page.click("#accept")
    expect(page.locator("#accepted")).to_be_visible()
    expect(page.locator("#status-form button[value=available]")).to_have_count(0)

    # swapped pressure is refused at the field, then the right reading is kept
    page.fill("#f-systolic", "90")
    page.fill("#f-diastolic", "150")
    page.click("#vitals-save")
    expect(page.locator("#vitals-error")).to_contain_text("tertukar")
    page.fill("#f-systolic", "150")
    page.fill("#f-diastolic", "90")
    page.fill("#f-pulse", "112")
    page.fill("#f-spo2", "93")
    page.fill("#f-gcs", "14")
    page.select_option("#f-avpu", "V")
    page.fill("#f-note", "Nyeri dada kiri menjalar")
    page.click("#vitals-save")
    expect(page.locator("#vitals-last")).to_contain_text("150/90 mmHg")
    assert CrewVitals.objects.count() == 1

    page.click("#status-form button[value=en_route]")
    expect(page.locator("#unit-status")).to_have_text("Menuju lokasi")
    page.click("#status-form button[value=on_scene]")
    expect(page.locator("#unit-status")).to_have_text("Di lokasi")
    go = page.locator("#status-form button[value=transporting]")
    expect(go).to_contain_text("RS Jantung Beta")
    go.click()
    expect(page.locator("#unit-status")).to_have_text("Membawa pasien")
    ctx.close()

    # the emergency room on a desktop: the summary, and an ETA that follows the ambulance
    ctx, page = open_page(browser, live_server, "op-beta", errors, {"width": 1280, "height": 900})
    page.goto("/gawat-darurat/rs/masuk/")
    row = page.locator("#incoming tr[data-id]")
    expect(row).to_contain_text("Merah")
    expect(row).to_contain_text("Pria 60 th, nyeri dada")
    expect(row).to_contain_text("Nyeri dada kiri menjalar")
    expect(row).to_contain_text("150/90 mmHg")
    expect(row).not_to_contain_text("tidak_sadar")
    eta = row.locator(".eta-live")
    before = eta.inner_text()
    assert "menit" in before
    services.update_position(Actor(user=users["crew"], channel="web"), unit, -7.019, 110.439)
    expect(eta).not_to_have_text(before)
    assert Unit.objects.get(pk=unit.pk).status == "transporting"
    ctx.close()
    # the refused vitals form answers 422 (as the intake form does): Chromium logs that load
    refused = "Failed to load resource: the server responded with a status of 422"
    assert [e for e in errors if not e.startswith(refused)] == []
    assert len(errors) == 1
