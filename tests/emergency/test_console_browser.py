"""The dispatcher console from the keyboard, in headless Chromium, at 1280 px and on a 390 px
phone: re-triage with a reason, hand to the police, add a unit and swap one, hand the patient
to the second hospital option (its buttons then go), close with a reason from the list; no
shortcut fires while typing, no console error."""

import pytest
from playwright.sync_api import expect

from sigap.core.models import AuditEvent, WebhookEndpoint
from sigap.emergency.models import Agency, Assignment, Handoff, Incident
from sigap.facilities.models import Facility
from tests.helpers import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_dispatcher_works_an_incident_from_the_keyboard(
    browser, live_server, users, call, make_unit, make_hospital, width, height
):
    make_hospital(
        "RS Dekat", lat=-6.985, lon=110.414, rooms=[("I1", "ICU", 4, 2), ("K1", "KL3", 9, 2)]
    )
    make_hospital(
        "RS Kedua", lat=-7.02, lon=110.42, rooms=[("I2", "ICU", 4, 1), ("K2", "KL3", 9, 1)]
    )
    make_unit("GD-A", lat=-6.981, lon=110.414)
    make_unit("GD-B", lat=-6.990, lon=110.414)
    make_unit("GD-C", lat=-7.000, lon=110.414)
    ep = WebhookEndpoint.objects.create(name="polres", url="http://127.0.0.1:9/", secret="s3")
    Agency.objects.create(area_code="3374", kind="police", name="Polrestabes Uji", webhook=ep)
    inc = call(triage="merah")

    errors: list[str] = []
    ctx = browser.new_context(
        base_url=live_server.url, locale="id-ID", viewport={"width": width, "height": height}
    )
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, "disp", until=None)
    page.goto("/gawat-darurat/dispatcher/")
    page.wait_for_selector("#console-map.leaflet-container")
    expect(page.locator("#fit-area kbd")).to_have_text("A")

    page.keyboard.press("j")
    expect(page.locator("#detail-head h2")).to_contain_text(inc.number)
    expect(page.locator(".actionbar button[data-action=retriage] kbd")).to_have_text("T")
    expect(page.locator("#unit-recs button.assign").first).to_contain_text("1")

    # re-triage: T opens the form; typing j, k, x, g in the reason moves nothing
    page.keyboard.press("t")
    expect(page.locator("#form-retriage")).to_be_visible()
    page.select_option("#f-retriage-colour", "kuning")
    page.focus("#f-retriage-reason")
    page.keyboard.type("jalan kaki sendiri, sadar; tidak ada x g")
    expect(page.locator("#form-agency")).to_be_hidden()
    page.keyboard.press("Enter")
    expect(page.locator("#detail-triage")).to_contain_text("Kuning")
    assert Incident.objects.get(pk=inc.pk).triage == "kuning"
    event = AuditEvent.objects.filter(action="emergency.incident.triage").latest("id")
    assert event.after["reason"].startswith("jalan kaki")

    # hand to the police, by choice
    page.keyboard.press("i")
    expect(page.locator("#form-agency")).to_be_visible()
    page.select_option("#f-agency-kind", "police")
    page.focus("#f-agency-reason")
    page.keyboard.type("pengemudi kabur")
    page.keyboard.press("Enter")
    expect(page.locator("#agency-state")).to_contain_text("Polrestabes Uji")

    # add a unit (1), a second one (1 again), then swap the first with the next one (G 1)
    expect(page.locator("#unit-recs li[data-unit=GD-A]")).to_be_visible()
    page.keyboard.press("1")
    expect(page.locator("#assignments li[data-unit=GD-A]")).to_be_visible()
    expect(page.locator("#unit-recs li").first).to_have_attribute("data-unit", "GD-B")
    page.keyboard.press("1")
    expect(page.locator("#assignments li[data-unit=GD-B]")).to_be_visible()
    expect(page.locator("#unit-recs li").first).to_have_attribute("data-unit", "GD-C")
    swap = page.locator("#unit-recs button.reassign").first
    expect(swap).to_contain_text("G")
    replaced = swap.get_attribute("data-replaces")  # the button names the unit it swaps
    kept = ({"GD-A", "GD-B"} - {replaced}).pop()
    page.keyboard.press("g")
    page.keyboard.press("1")
    expect(page.locator("#assignments li[data-unit=GD-C]")).to_be_visible()
    expect(page.locator(f"#assignments li[data-unit={replaced}]")).to_have_count(0)
    active = Assignment.objects.filter(incident=inc, status="active")
    assert sorted(active.values_list("unit__code", flat=True)) == sorted([kept, "GD-C"])

    # several hospital options, each with why; H 2 hands to the second, then the buttons go
    options = page.locator("#hospital-recs li.hosp")
    expect(options).to_have_count(2)
    expect(options.nth(0).locator(".why")).to_contain_text("tercepat")
    second = Facility.objects.get(public_id=options.nth(1).get_attribute("data-hospital")).name
    page.keyboard.press("h")
    page.keyboard.press("2")
    expect(page.locator("#handoff-state")).to_contain_text(second)
    expect(page.locator("#hospital-recs button.handoff")).to_have_count(0)
    assert Handoff.objects.get(incident=inc).hospital.name == second

    # the page fits the screen (no sideways scrolling)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # close with a reason from the list
    page.keyboard.press("x")
    expect(page.locator("#form-end")).to_be_visible()
    expect(page.locator("#f-end-reason option[value=treated_on_scene]")).to_have_count(1)
    page.select_option("#f-end-reason", "treated_on_scene")
    page.focus("#f-end-note")
    page.keyboard.type("luka ringan")
    page.keyboard.press("Enter")
    expect(page.locator("#queue")).not_to_contain_text(inc.number)
    inc.refresh_from_db()
    assert inc.status == "closed" and inc.close_reason.endswith("luka ringan")
    assert not Assignment.objects.filter(incident=inc, status="active").exists()
    assert errors == []
    ctx.close()
