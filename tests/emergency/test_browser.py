"""The whole flow in headless Chromium: a call taken from the keyboard, triage, dispatch from
the console, the hand-off as a referral that the hospital accepts in its referral inbox (the
console shows the answer), crew status from the phone page, and the report."""

import pytest
from playwright.sync_api import expect

from sigap.emergency.models import Handoff, Incident, Unit
from tests.helpers import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def session(browser, live_server, username: str, errors: list[str]):
    ctx = browser.new_context(base_url=live_server.url, locale="id-ID")
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, username, until=None)
    return ctx, page


def test_call_dispatch_crew_handoff_report(
    browser, live_server, users, make_unit, make_hospital, make_user
):
    from sigap.facilities.models import FacilityOperator

    rs = make_hospital(
        "RS Trauma Alfa",
        lat=-6.99,
        lon=110.42,
        services_=("igd", "trauma", "icu"),
        rooms=[("ICU1", "ICU", 4, 2)],
    )
    op = make_user("op-alfa", "hospital_operator")
    FacilityOperator.objects.create(user=op, facility=rs)
    unit = make_unit("GD-01", village="3374011001")
    make_unit("GD-02", village="3374101001")
    unit.crew.add(users["crew"])
    errors: list[str] = []

    # 1. the call-taker, keyboard only (plus one map click for the place)
    ctx, page = session(browser, live_server, "psc", errors)
    page.goto("/gawat-darurat/panggilan/")
    page.wait_for_selector("#intake-map.leaflet-container")
    page.click("#intake-map", position={"x": 200, "y": 120})
    expect(page.locator("#f-lat")).not_to_have_value("")
    page.focus("#f-phone")
    page.keyboard.type("081234567890")
    page.keyboard.press("Tab")
    page.keyboard.type("Pak Budi")
    page.fill("#f-lat", "-6.9812")
    page.fill("#f-lon", "110.4131")
    page.keyboard.press("Alt+2")  # category 2: traffic
    expect(page.locator(".qset[data-category=traffic]")).to_be_visible()
    page.locator(".qset[data-category=traffic] input[name=q_terjepit]").focus()
    page.keyboard.press("Space")
    expect(page.locator("#suggest")).to_contain_text("MERAH")
    page.focus("#f-notes")
    page.keyboard.type("Motor menabrak truk, korban terjepit")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".messages")).to_contain_text("dibuat")
    inc = Incident.objects.get()
    assert (inc.category, inc.triage, inc.village_id) == ("traffic", "merah", "3374011001")
    ctx.close()

    # 2. the dispatcher: queue, one-action assign, hospital hand-off with a bed hold
    ctx, page = session(browser, live_server, "disp", errors)
    page.goto("/gawat-darurat/dispatcher/")
    page.locator("#queue li.inc", has_text=inc.number).click()
    page.wait_for_selector("#unit-recs button.assign")
    assert page.locator("#unit-recs .rec").first.inner_text().startswith("1. GD-01")
    page.click("#unit-recs button[data-unit=GD-01]")
    expect(page.locator("#detail-msg")).to_contain_text("GD-01")
    page.wait_for_selector("#hospital-recs button.handoff")
    page.locator("#hospital-recs li", has_text="RS Trauma Alfa").locator("button").click()
    expect(page.locator("#detail-msg")).to_contain_text("RS Trauma Alfa")
    # the queue refreshes by itself: the incident now shows its unit
    expect(page.locator("#queue li.inc", has_text=inc.number)).to_contain_text("GD-01")
    ctx.close()
    handoff = Handoff.objects.get()
    assert handoff.bed_hold is not None and handoff.unit_id == unit.pk

    # 3. the hand-off is a referral: the hospital accepts it in its referral inbox
    referral = handoff.referral
    assert referral is not None and referral.incident_ref == inc.number
    ctx, page = session(browser, live_server, "op-alfa", errors)
    page.goto("/rujukan/masuk/")
    row = page.locator("#inbox tr", has_text=referral.number)
    expect(row).to_contain_text("darurat")
    expect(row.locator(".clock")).to_be_visible()  # the answer clock runs
    row.locator("a").click()
    expect(page.locator("#hold")).to_be_visible()  # the bed the hand-off asked for is held
    page.click("#accept-btn")
    expect(page.locator("#status")).to_have_attribute("data-status", "accepted")
    # the emergency page of the hospital follows the referral
    page.goto("/gawat-darurat/rs/masuk/")
    expect(page.locator("#incoming")).to_contain_text("Dikonfirmasi RS")
    ctx.close()
    handoff.refresh_from_db()
    assert handoff.status == "acknowledged" and handoff.acknowledged_by == op

    # the dispatcher's console shows the hospital's answer without a reload
    ctx, page = session(browser, live_server, "disp", errors)
    page.goto("/gawat-darurat/dispatcher/")
    page.locator("#queue li.inc", has_text=inc.number).click()
    expect(page.locator("#handoff-state")).to_contain_text("rujukan diterima RS")
    ctx.close()

    # 4. the crew's phone page
    ctx, page = session(browser, live_server, "crew", errors)
    page.goto("/gawat-darurat/kru/")
    expect(page.locator("#job")).to_contain_text(inc.number)
    expect(page.locator("#job")).to_contain_text("RS Trauma Alfa")
    page.click("#accept")
    expect(page.locator("#accepted")).to_be_visible()
    for value, label in [
        ("en_route", "Menuju lokasi"),
        ("on_scene", "Di lokasi"),
        ("transporting", "Membawa pasien"),
        ("at_hospital", "Di RS"),
        ("returning", "Kembali ke pos"),
        ("available", "Siaga"),
    ]:
        page.click(f"#status-form button[value={value}]")
        expect(page.locator("#unit-status")).to_have_text(label)
    ctx.close()
    inc.refresh_from_db()
    assert inc.status == "closed" and inc.on_scene_at and inc.hospital_at
    handoff.refresh_from_db()
    referral.refresh_from_db()
    assert handoff.status == "arrived" and referral.status == "arrived"
    assert handoff.bed_hold.status == "arrived"
    assert Unit.objects.get(code="GD-01").status == "available"

    # 5. the response-time report with its charts and CSV
    ctx, page = session(browser, live_server, "disp", errors)
    page.goto("/gawat-darurat/laporan/")
    expect(page.locator("#report-totals")).to_contain_text("1")
    assert page.locator("#chart-triage svg").count() == 1
    expect(page.locator("#by-triage")).to_contain_text("merah")
    with page.expect_download() as dl:
        page.click("#csv-link")
    assert dl.value.suggested_filename.startswith("respons-3374-")
    ctx.close()
    csp = [e for e in errors if "Content Security Policy" in e or "Content-Security-Policy" in e]
    assert not csp, csp
    assert not [e for e in errors if "Uncaught" in e or "TypeError" in e], errors


def test_public_sos_uses_the_phone_position(browser, live_server, area):
    from django.core.cache import cache

    cache.clear()  # the SOS throttle counts per address
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="id-ID",
        geolocation={"latitude": -6.958, "longitude": 110.421},
        permissions=["geolocation"],
    )
    page = ctx.new_page()
    page.goto("/sos/")
    page.fill("#sos-phone", "081299990000")
    page.click("#sos-send")
    expect(page.locator("#sos-status")).to_contain_text("diterima")
    inc = Incident.objects.get()
    assert inc.source == "sos" and inc.village_id == "3374021001"
    ctx.close()


def test_intake_kelurahan_search_sets_the_place(browser, live_server, users):
    errors: list[str] = []
    ctx, page = session(browser, live_server, "psc", errors)
    page.goto("/gawat-darurat/panggilan/")
    page.wait_for_selector("#intake-map.leaflet-container")
    page.focus("#f-place")
    page.keyboard.type("da")  # Bandarharjo and Pudakpayung
    options = page.locator("#place-options option")
    expect(options).to_have_count(2)
    label = "Pudakpayung — Banyumanik"
    assert label in [o.get_attribute("value") for o in options.all()]
    page.fill("#f-place", label)  # what picking the option from the list does
    expect(page.locator("#f-village")).to_have_value("3374101001")
    expect(page.locator("#f-lat")).to_have_value("-7.090000")
    expect(page.locator("#f-lon")).to_have_value("110.415000")
    expect(page.locator("#place-status")).to_contain_text("Pudakpayung · Banyumanik")
    expect(page.locator("#intake-map .incident-marker")).to_have_count(1)  # on the map
    page.fill("#f-phone", "081200001111")
    page.locator("#f-notes").focus()
    page.keyboard.press("Control+Enter")
    expect(page.locator(".messages")).to_contain_text("dibuat")
    inc = Incident.objects.get()
    assert inc.village_id == "3374101001" and (inc.latitude, inc.longitude) == (-7.09, 110.415)
    ctx.close()
    assert not [e for e in errors if "Uncaught" in e or "TypeError" in e], errors


def test_crew_phone_sends_its_position(browser, live_server, users, make_unit):
    unit = make_unit("GD-07", village="3374011001")
    unit.crew.add(users["crew"])
    errors: list[str] = []
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="id-ID",
        geolocation={"latitude": -6.9701, "longitude": 110.4302},
        permissions=["geolocation"],
    )
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, "crew", until=None)
    page.goto("/gawat-darurat/kru/")
    status = page.locator("#geo-status")
    expect(status).to_contain_text("-6.970100, 110.430200")
    expect(status.locator(".ic-pin")).to_have_count(1)  # a served icon, not an emoji
    unit.refresh_from_db()
    assert (unit.latitude, unit.longitude) == (-6.9701, 110.4302) and unit.position_at
    # the position also goes with a status button
    ctx.set_geolocation({"latitude": -6.9705, "longitude": 110.4310})
    expect(page.locator("#f-lat")).to_have_value("-6.970500")
    page.click("#status-form button[value=out_of_service]")
    expect(page.locator("#unit-status")).to_have_text("Tidak beroperasi")
    unit.refresh_from_db()
    assert (unit.latitude, unit.longitude) == (-6.9705, 110.431)
    ctx.close()
    assert not errors, errors


def test_console_reassigns_with_one_action_and_shows_no_missing_glyph(
    browser, live_server, users, make_unit, call
):
    import re

    first = make_unit("GD-01", village="3374101001")
    make_unit("GD-02", village="3374011001")
    inc = call(triage="merah")
    from sigap.emergency import services

    from .conftest import actor

    old = services.assign_unit(actor(users["dispatcher"]), inc, first)
    errors: list[str] = []
    requests: list[str] = []
    ctx, page = session(browser, live_server, "disp", errors)
    page.on("request", lambda r: r.method == "POST" and requests.append(r.url))
    page.goto("/gawat-darurat/dispatcher/")
    page.locator("#queue li.inc", has_text=inc.number).click()
    button = page.locator("#unit-recs button.reassign[data-unit=GD-02]")
    expect(button).to_contain_text("Ganti GD-01 dengan GD-02")
    expect(button.locator("kbd")).to_have_text(["G", "1"])  # its shortcut, on the button
    button.click()
    expect(page.locator("#detail-msg")).to_contain_text("GD-01 → GD-02")
    assert [u.rsplit("/", 2)[-1] for u in requests] == ["reassign"]  # one action, one request
    old.refresh_from_db()
    assert old.status == "cancelled"
    assert [a.unit.code for a in inc.assignments.filter(status="active")] == ["GD-02"]
    expect(page.locator("#queue li.inc", has_text=inc.number)).to_contain_text("GD-02")
    # icons are served SVGs; no character the bundled fonts lack (emoji) is left on the page
    expect(page.locator("#queue .ic-ambulance").first).to_be_visible()
    ok = page.evaluate(
        "Promise.all(['ambulance', 'hospital', 'pin'].map(n => "
        "fetch('/static/emergency/icons/' + n + '.svg').then(r => r.status)))"
    )
    assert ok == [200, 200, 200]
    assert not re.search("[\U0001f300-\U0001faff]", page.inner_text("body"))
    ctx.close()
    assert not [e for e in errors if "Uncaught" in e or "TypeError" in e], errors


def test_sos_without_location_sends_the_chosen_kelurahan_once(browser, live_server, area):
    """No position permission: the page asks for the kelurahan and sends it with the call-back
    number; pressing again (or twice at once) answers the same incident."""
    from django.core.cache import cache

    cache.clear()
    errors: list[str] = []
    ctx = browser.new_context(base_url=live_server.url, locale="id-ID")  # no geolocation
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/sos/")
    # tap-to-call links to both numbers
    assert page.get_attribute("#call-112", "href") == "tel:112"
    assert page.get_attribute("#call-119", "href") == "tel:119"
    page.fill("#sos-phone", "081299990000")
    page.fill("#sos-note", "2 orang luka berat")
    page.click("#sos-send")
    expect(page.locator("#sos-place-box")).to_be_visible()
    expect(page.locator("#sos-status")).to_contain_text("Pilih kelurahan")
    assert Incident.objects.count() == 0
    page.focus("#sos-place")
    page.keyboard.type("Bandar")
    expect(page.locator("#sos-place-options option")).to_have_count(1)
    expect(page.locator("#sos-place")).to_have_value("Bandarharjo — Semarang Utara")
    page.dblclick("#sos-send")  # a double tap
    expect(page.locator("#sos-status")).to_contain_text("diterima")
    inc = Incident.objects.get()
    assert inc.village_id == "3374021001" and inc.caller_phone == "081299990000"
    assert inc.triage == "merah" and inc.victims == 2
    first = page.locator("#sos-status").text_content()
    assert inc.number in first
    page.click("#sos-send")  # pressed again after the answer: the same incident
    expect(page.locator("#sos-send")).to_be_enabled()
    expect(page.locator("#sos-status")).to_contain_text(inc.number)
    assert Incident.objects.count() == 1
    ctx.close()
    assert not errors, errors


def test_sos_pressed_twice_with_position_is_one_incident(browser, live_server, area):
    from django.core.cache import cache

    cache.clear()
    ctx = browser.new_context(
        base_url=live_server.url,
        locale="id-ID",
        geolocation={"latitude": -6.981, "longitude": 110.413},
        permissions=["geolocation"],
    )
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto("/sos/")
    page.fill("#sos-phone", "081299990000")
    page.click("#sos-send")
    page.click("#sos-send", force=True)
    expect(page.locator("#sos-status")).to_contain_text("diterima")
    page.click("#sos-send")
    expect(page.locator("#sos-send")).to_be_enabled()
    assert Incident.objects.count() == 1
    ctx.close()


def test_intake_warns_outside_the_area_and_needs_the_override(browser, live_server, users):
    errors: list[str] = []
    ctx, page = session(browser, live_server, "psc", errors)
    page.goto("/gawat-darurat/panggilan/")
    page.wait_for_selector("#intake-map.leaflet-container")
    expect(page.locator("#out-of-area-warning")).to_be_hidden()
    page.fill("#f-phone", "081200001111")
    page.fill("#f-lat", "-7.151")
    page.fill("#f-lon", "110.401")
    page.locator("#f-lon").dispatch_event("change")
    warning = page.locator("#out-of-area-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Desa Uji")
    expect(warning).to_contain_text("PSC 119 Kab. Semarang")
    expect(page.locator("#out-of-area")).to_be_visible()
    page.click("#btn-save")  # without the override: refused, nothing stored
    expect(page.locator("#form-error")).to_contain_text("di luar wilayah")
    assert Incident.objects.count() == 0
    page.check("#f-override")
    page.click("#btn-save")
    expect(page.locator(".messages")).to_contain_text("dibuat")
    inc = Incident.objects.get()
    assert inc.out_of_area and inc.area_code == "3374" and inc.responsible_area == "3322"
    # back inside the area the warning goes away
    page.fill("#f-lat", "-6.981")
    page.fill("#f-lon", "110.413")
    page.locator("#f-lon").dispatch_event("change")
    expect(page.locator("#out-of-area-warning")).to_be_hidden()
    ctx.close()
    assert not [e for e in errors if "Uncaught" in e or "TypeError" in e], errors


def test_console_map_keeps_the_area_in_view_with_an_outlier(browser, live_server, users, call):
    """An out-of-area incident 400 km away is in the queue, marked with the responsible PSC,
    and does not zoom the map out of the area."""
    from sigap.core.services import Actor
    from sigap.emergency import services

    call()
    services.create_incident(
        Actor(user=users["psc"], channel="web"),
        services.IncidentInput(latitude=-6.2, longitude=106.82, allow_out_of_area=True),
    )
    errors: list[str] = []
    ctx, page = session(browser, live_server, "disp", errors)
    page.goto("/gawat-darurat/dispatcher/")
    expect(page.locator("#queue .out-badge")).to_have_count(1)
    page.wait_for_selector("#console-map.leaflet-container", state="attached")
    expect(page.locator("#queue .out-psc")).to_contain_text("PSC 119 setempat")
    box = page.locator("#console-map").bounding_box()
    dots = [d.bounding_box() for d in page.locator("#console-map .village-dot").all()]
    assert len(dots) == 3
    xs = [d["x"] + d["width"] / 2 for d in dots]
    ys = [d["y"] + d["height"] / 2 for d in dots]
    # the area's kelurahan (12 km apart) spread over the map, all inside it
    assert max(ys) - min(ys) > box["height"] / 3
    assert all(box["x"] <= x <= box["x"] + box["width"] for x in xs)
    assert all(box["y"] <= y <= box["y"] + box["height"] for y in ys)
    ctx.close()
    assert not [e for e in errors if "Uncaught" in e or "TypeError" in e], errors
