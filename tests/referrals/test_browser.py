"""Referral pages in headless Chromium against a live server: send -> recommend -> accept with
a bed hold -> arrival -> back-referral, and reject -> escalation -> redirect."""

import re
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sigap.beds.models import Room
from sigap.referrals import services
from sigap.referrals.models import Referral
from tests.helpers import login as sign_in

from .conftest import NIK

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
    assert not errors, errors


# each login starts without the previous user's session
login = partial(sign_in, clear_cookies=True)


def fill_patient(page, diagnosis_query: str, code: str) -> None:
    page.fill("#f-name", "Siti Contoh")
    page.fill("#f-nik", NIK)
    page.fill("#f-jkn", "0001234567890")
    page.fill("#f-diagnosis", diagnosis_query)
    # the ICD-10 search fills the suggestions; the code is what the form sends
    expect(page.locator(f"#icd-options option[value='{code}']")).to_have_count(1)
    page.fill("#f-diagnosis", code)
    expect(page.locator("#diagnosis-name")).to_contain_text(code)


def test_send_recommend_accept_hold_arrive_back_referral(page, network, console_errors):
    net = network
    login(page, "pkm")
    page.goto("/rujukan/kirim/")
    fill_patient(page, "myocardial infarction", "I21.9")
    page.select_option("#f-service", "icu")
    page.select_option("#f-bed-class", "ICU")
    # the recommendation arrives without a reload: Alfa (near, free ICU) first, Beta last
    expect(page.locator("#recommendations .rec-name").first).to_have_text("RS Alfa")
    expect(page.locator("#recommendations .rec-name").last).to_have_text("RS Beta")
    expect(page.locator("#recommendations input[name=receiver]").first).to_be_checked()
    page.click("#send-btn")
    page.wait_for_url(re.compile(r"/rujukan/[0-9a-f-]{36}/$"))
    expect(page.locator("#status")).to_have_attribute("data-status", "sent")
    ref = Referral.objects.get()
    assert ref.receiver == net.alfa and ref.diagnosis_code == "I21.9"

    login(page, "op-alfa")
    page.goto("/rujukan/masuk/")
    row = page.locator(f"#inbox tr[data-id='{ref.public_id}']")
    expect(row).to_be_visible()
    clock = row.locator(".clock")
    first = clock.inner_text()
    assert re.fullmatch(r"1[45]:[0-5][0-9]", first), first  # about 15 minutes left
    page.wait_for_timeout(1200)
    assert clock.inner_text() != first  # the clock runs without a reload
    row.locator("a").click()
    free_before = Room.objects.get(facility=net.alfa, bed_class_id="ICU").free
    expect(page.locator("#hold-bed")).to_be_checked()
    page.click("#accept-btn")
    expect(page.locator("#status")).to_have_attribute("data-status", "accepted")
    expect(page.locator("#hold")).to_be_visible()
    assert Room.objects.get(facility=net.alfa, bed_class_id="ICU").free == free_before - 1
    page.click("#arrive-btn")
    expect(page.locator("#status")).to_have_attribute("data-status", "arrived")
    page.fill("#back-referral-text", "Pasca PCI; kontrol ke Puskesmas 1 minggu.")
    page.click("#close-btn")
    expect(page.locator("#status")).to_have_attribute("data-status", "closed")
    expect(page.locator("#back-referral")).to_contain_text("kontrol ke Puskesmas")
    actions = page.locator("#timeline li").evaluate_all("els => els.map(e => e.dataset.action)")
    assert actions == ["send", "accept", "arrive", "close"]

    # the sender sees the back-referral
    login(page, "pkm")
    page.goto(f"/rujukan/{ref.public_id}/")
    expect(page.locator("#back-referral")).to_contain_text("kontrol ke Puskesmas")


def test_reject_then_escalation_and_redirect_by_the_office(page, network, console_errors):
    login(page, "pkm")
    page.goto("/rujukan/kirim/")
    fill_patient(page, "pneumonia", "J18.9")
    page.select_option("#f-service", "icu")
    page.select_option("#f-bed-class", "ICU")
    expect(page.locator("#recommendations .rec-name").first).to_have_text("RS Alfa")
    page.click("#send-btn")
    page.wait_for_url(re.compile(r"/rujukan/[0-9a-f-]{36}/$"))
    ref = Referral.objects.get()

    login(page, "op-alfa")
    page.goto(f"/rujukan/{ref.public_id}/")
    page.fill("#reject-note", "ICU penuh")
    page.click("#reject-btn")
    expect(page.locator("#status")).to_have_attribute("data-status", "rejected")
    expect(page.locator("#proposed")).to_have_text("RS Gamma")

    # the sender redirects to the proposal; Gamma never answers
    login(page, "pkm")
    page.goto(f"/rujukan/{ref.public_id}/")
    expect(page.locator("#redirect-form .rec-name").first).to_have_text("RS Gamma")
    page.click("#redirect-btn")
    expect(page.locator("#receiver")).to_have_text("RS Gamma")
    expect(page.locator("#status")).to_have_attribute("data-status", "sent")
    # 15 minutes pass without an answer; the worker's sweep escalates
    Referral.objects.filter(pk=ref.pk).update(answer_due_at=timezone.now() - timedelta(seconds=1))
    assert services.escalate_overdue()["escalated"] == 1

    login(page, "dinkes")
    page.goto("/dinkes/rujukan/")
    row = page.locator("#escalations tr", has_text=ref.number)
    expect(row).to_contain_text("escalated")
    row.locator("a").click()
    expect(page.locator("#status")).to_have_attribute("data-status", "escalated")
    # Alfa and Gamma were tried: the only one left with ICU is Beta (no free bed)
    expect(page.locator("#redirect-form .rec-name").first).to_have_text("RS Beta")
    page.click("#redirect-btn")
    expect(page.locator("#receiver")).to_have_text("RS Beta")
    actions = page.locator("#timeline li").evaluate_all("els => els.map(e => e.dataset.action)")
    assert actions == ["send", "reject", "redirect", "escalate", "redirect"]
    page.goto("/dinkes/rujukan/penjamin/")
    expect(page.locator("section.fair", has_text="RS Alfa")).to_be_visible()
