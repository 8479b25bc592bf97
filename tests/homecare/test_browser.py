"""The home-care walk in headless Chromium: a resident's request -> eligibility -> care plan
-> tomorrow's plan on the map -> the nurse's route on her phone -> the visit record (with the
confirm step of a danger sign) -> its correction and the withdrawal of the escalation."""

import re

import pytest
from playwright.sync_api import expect

from sigap.homecare import services
from sigap.homecare.services import day_plans
from tests.helpers import login

from .conftest import NIK

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_request_to_visit_record(page, console_errors, staff, roster, monkeypatch):
    monkeypatch.setattr(day_plans, "PLANNER_SECONDS", 0.5)
    # 1. a resident asks for a home visit
    page.goto("/perawatan-rumah/minta/")
    page.fill("input[name=nik]", NIK)
    page.fill("input[name=name]", "Ibu Warsini")
    page.fill("input[name=phone]", "081234567890")
    page.fill("input[name=address]", "Jl. Brumbungan 7 RT 02/RW 01")
    page.select_option("select[name=village_code]", "3374011002")
    page.fill("textarea[name=need]", "Pasca stroke, tidak bisa berjalan")
    page.click("#request-form button[type=submit]")
    expect(page.locator("#request-done")).to_contain_text("Puskesmas Miroto")

    # 2. the Puskesmas nurse decides eligibility with the checklist
    login(page, staff.username)
    page.goto("/perawatan-rumah/puskesmas/")
    expect(page.locator("#requests")).to_contain_text("3374xxxxxxxx0003")
    page.click("#requests a:has-text('Ibu Warsini')")
    page.wait_for_url(re.compile(r"/permintaan/"))
    page.wait_for_load_state("load")  # the group switch is wired by the page's script
    expect(page.locator("#jkn-status")).to_be_visible()
    page.select_option("#group-select", "kronis_imobil")
    form = page.locator("form.group-form[data-group=kronis_imobil]")
    expect(form).to_be_visible()
    for box in form.locator("input[name=criteria]").all():
        box.check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#request-status")).to_have_text("Memenuhi syarat")

    # 3. a care plan: weekly nurse visit, priority 1
    plan_form = page.locator("#care-plan-form form")
    plan_form.locator("select[name=skill]").select_option("nurse")
    plan_form.locator("select[name=priority]").select_option("1")
    plan_form.locator("button[type=submit]").click()
    expect(page.locator("#care-plan")).to_contain_text("Perawat")
    expect(page.locator("#request-status")).to_have_text("Dalam perawatan")

    # 4. tomorrow's plan on the map
    page.goto("/perawatan-rumah/rencana/")
    page.click("#btn-plan")
    expect(page.locator("#plan-summary")).to_contain_text("1 kunjungan terjadwal")
    expect(page.locator("#plan-routes")).to_contain_text("Ners Ani")
    expect(page.locator("#plan-map .hc-marker")).to_have_count(1)
    page.click("#route-sheet-link")
    page.wait_for_url(re.compile(r"/lembar/"))
    expect(page.locator(".sheet")).to_contain_text("Jl. Brumbungan 7")
    page.click("form[action='/keluar/'] button")

    # 5. the nurse's phone: her route with a navigation link, then the visit record
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, roster["nurse"].user.username)
    page.goto("/perawatan-rumah/kunjungan-saya/")
    item = page.locator("#my-visits li").first
    expect(item).to_contain_text("Ibu Warsini")
    expect(item.locator("a:has-text('Navigasi')")).to_have_attribute("href", re.compile(r"^geo:"))
    item.locator("a:has-text('Ibu Warsini')").click()
    page.wait_for_url(re.compile(r"/kunjungan/"))
    page.click("#btn-start")
    expect(page.locator("#visit-status")).to_have_text("Sedang berlangsung")
    record = page.locator("#record-form")
    record.locator("input[name=systolic]").fill("185")
    record.locator("input[name=diastolic]").fill("100")
    record.locator("input[name=pulse]").fill("88")
    record.locator("input[name=spo2]").fill("96")
    record.locator("textarea[name=notes]").fill("Pusing, obat habis")
    record.locator("select[name=outcome]").select_option("worse")
    page.click("#btn-record")
    # a danger sign: the page asks to confirm first, nothing is saved yet
    expect(page.locator("#danger-confirm")).to_contain_text("Tekanan darah berbahaya")
    expect(page.locator("#visit-status")).to_have_text("Sedang berlangsung")
    expect(record.locator("input[name=systolic]")).to_have_value("185")
    page.click("#btn-confirm-danger")
    expect(page.locator("#visit-status")).to_have_text("Selesai")
    expect(page.locator("#danger")).to_contain_text("Tekanan darah berbahaya")
    expect(page.locator(".escalation")).to_have_count(1)

    # 6. the nurse sees she typed 185 for 135: she corrects the record, then withdraws the
    # escalation it raised
    page.click("#btn-correct")
    fix = page.locator("#record-form")
    expect(fix.locator("input[name=systolic]")).to_have_value("185")
    fix.locator("input[name=systolic]").fill("80")
    fix.locator("input[name=reason]").fill("Salah ketik sistolik")
    page.click("#btn-record")  # 80/100: refused at the field, nothing changed
    expect(page.locator("#error-diastolic")).to_contain_text("lebih rendah dari sistolik")
    fix.locator("input[name=systolic]").fill("135")
    page.click("#btn-record")
    expect(page.locator("#record-bp")).to_have_text("135/100")
    expect(page.locator("#stale-escalation")).to_contain_text("Tekanan darah berbahaya")
    page.click("details.withdraw summary")
    page.fill(".withdraw-form input[name=reason]", "Tekanan darah salah ketik")
    page.click(".withdraw-form button[type=submit]")
    expect(page.locator(".escalation")).to_have_attribute("data-status", "withdrawn")
    expect(page.locator(".escalation")).to_contain_text("Tekanan darah salah ketik")
    expect(page.locator("#stale-escalation")).to_have_count(0)


def test_coordinator_pauses_a_plan_deactivates_a_worker_adds_a_vehicle(
    page, console_errors, staff, actor, roster, monkeypatch
):
    from datetime import time, timedelta

    from django.utils import timezone

    from sigap.homecare.models import TargetGroup

    from .conftest import request_input

    monkeypatch.setattr(day_plans, "PLANNER_SECONDS", 0.5)
    tomorrow = timezone.localdate() + timedelta(days=1)
    plans = {}
    for nik, name in [("3374014501800003", "Ibu Warsini"), ("3374015203950002", "Pak Darmo")]:
        req = services.create_request(actor, request_input(nik=nik, name=name))
        checklist = TargetGroup.objects.get(code="lansia_imobil").checklist
        services.decide_eligibility(
            actor, req, target_group="lansia_imobil", answers={c: True for c in checklist}
        )
        plans[name] = services.create_care_plan(
            actor, req, services.CarePlanInput(7, "nurse", 30, time(8), time(14), 2, tomorrow)
        )
    login(page, staff.username)
    page.goto("/perawatan-rumah/rencana/")
    page.click("#btn-plan")
    expect(page.locator("#plan-summary")).to_contain_text("2 kunjungan terjadwal")
    expect(page.locator("#plan-routes")).to_contain_text("Pak Darmo")

    # pause Pak Darmo's plan: the re-plan leaves him out
    page.goto(f"/perawatan-rumah/permintaan/{plans['Pak Darmo'].request.public_id}/")
    page.fill("#plan-pause input[name=reason]", "Dirawat di rumah sakit")
    page.click("#plan-pause button[type=submit]")
    expect(page.locator("#plan-status")).to_have_text("Ditunda")
    expect(page.locator("#plan-reason")).to_contain_text("Dirawat di rumah sakit")
    page.goto("/perawatan-rumah/rencana/")
    page.click("#btn-plan")
    expect(page.locator("#plan-summary")).to_contain_text("1 kunjungan terjadwal")
    expect(page.locator("#plan-routes")).to_contain_text("Ibu Warsini")
    expect(page.locator("#plan-routes li.st-planned")).to_have_count(1)
    expect(page.locator("#plan-routes li.st-planned")).not_to_contain_text("Pak Darmo")

    # deactivate the midwife from the roster
    page.goto("/perawatan-rumah/petugas/")
    page.click("#roster a:has-text('Bidan Sri')")
    page.wait_for_url(re.compile(r"/petugas/[0-9a-f-]+/"))
    page.fill("#worker-active input[name=reason]", "Pindah tugas")
    page.click("#btn-deactivate")
    expect(page.locator("#worker-status")).to_have_text("nonaktif")
    page.goto("/perawatan-rumah/petugas/")
    expect(page.locator("#roster tr:has-text('Bidan Sri')")).to_contain_text("nonaktif")

    # add a vehicle to the Jemput Sakit Antar Sehat fleet
    page.click("nav.hc-nav a:has-text('Armada dan pengemudi')")
    page.wait_for_url(re.compile(r"/armada/"))
    page.fill("#vehicle-new input[name=name]", "Mobil siaga desa")
    page.fill("#vehicle-new input[name=plate]", "H 1234 AB")
    page.fill("#vehicle-new input[name=seats]", "3")
    page.click("#vehicle-new button[type=submit]")
    expect(page.locator("#vehicles")).to_contain_text("Mobil siaga desa")
    expect(page.locator("#vehicles")).to_contain_text("H 1234 AB")
