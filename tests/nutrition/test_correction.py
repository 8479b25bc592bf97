"""Correcting or deleting a measurement (issue 12): the page, and cases kept consistent - a
case opened by a severe value that a correction removes is closed (or moves to another
severe measurement of the same kind), a correction that makes a value severe opens one;
deletion likewise; everything audited, refusals write nothing."""

from datetime import date

import pytest
from django.test import Client

from sigap.core.models import AuditEvent
from sigap.nutrition import services
from sigap.nutrition.models import Measurement, NutritionCase

from .conftest import client_for, counts

pytestmark = pytest.mark.django_db

SEVERE = (8.0, 85.0)  # boy of 2 years, 85 cm, 8 kg: WHZ < -3
NORMAL = (11.5, 85.0)


def M(on, values, pos="L"):
    return services.MeasurementInput(on, values[0], values[1], pos)


def test_correcting_a_severe_value_away_closes_its_case(make_child, staff_actor):
    child = make_child()
    m = services.record_measurement(staff_actor, child, M(date(2026, 1, 10), SEVERE))
    case = NutritionCase.objects.get()
    assert case.status == "open" and case.opened_by_id == m.pk
    services.correct_measurement(staff_actor, m, M(date(2026, 1, 10), NORMAL))
    case.refresh_from_db()
    assert case.status == "closed" and "dikoreksi" in case.status_reason
    audit = AuditEvent.objects.filter(action="case.status").get()
    assert audit.before == {"status": "open"} and audit.after["status"] == "closed"
    # the same correction again changes nothing more
    services.correct_measurement(staff_actor, m, M(date(2026, 1, 10), NORMAL))
    assert NutritionCase.objects.count() == 1
    assert AuditEvent.objects.filter(action="case.status").count() == 1
    # corrected back to severe: a case is open again (a new one; the closed one stays closed)
    services.correct_measurement(staff_actor, m, M(date(2026, 1, 10), SEVERE))
    assert NutritionCase.objects.filter(status="open").count() == 1
    assert NutritionCase.objects.filter(status="closed").count() == 1


def test_a_case_being_handled_is_closed_too_and_a_still_severe_value_keeps_it(
    make_child, staff_actor
):
    child = make_child()
    m = services.record_measurement(staff_actor, child, M(date(2026, 1, 10), SEVERE))
    case = NutritionCase.objects.get()
    services.add_action(staff_actor, case, "food", note="PMT")
    case.refresh_from_db()
    assert case.status == "acting"
    # a correction that stays severe (another severe weight): the case stands
    services.correct_measurement(staff_actor, m, M(date(2026, 1, 10), (7.9, 85.0)))
    case.refresh_from_db()
    assert case.status == "acting"
    services.correct_measurement(staff_actor, m, M(date(2026, 1, 10), NORMAL))
    case.refresh_from_db()
    assert case.status == "closed"


def test_correcting_an_unrelated_measurement_leaves_the_case(make_child, staff_actor):
    child = make_child()
    services.record_measurement(staff_actor, child, M(date(2026, 1, 10), SEVERE))
    later = services.record_measurement(staff_actor, child, M(date(2026, 2, 10), SEVERE))
    case = NutritionCase.objects.get()  # one active case per child and kind
    services.correct_measurement(staff_actor, later, M(date(2026, 2, 10), NORMAL))
    case.refresh_from_db()
    assert case.status == "open"


def test_deleting_the_opening_measurement_closes_or_moves_the_case(make_child, staff_actor):
    child = make_child()
    first = services.record_measurement(staff_actor, child, M(date(2026, 1, 10), SEVERE))
    second = services.record_measurement(staff_actor, child, M(date(2026, 2, 10), SEVERE))
    case = NutritionCase.objects.get()
    services.delete_measurement(staff_actor, first, reason="salah anak")
    case.refresh_from_db()
    # still severe a month later: the case stays open, now opened by the later measurement
    assert case.status == "open" and case.opened_by_id == second.pk
    assert case.opened_on == date(2026, 2, 10)
    assert AuditEvent.objects.filter(action="case.reattach").count() == 1
    services.delete_measurement(staff_actor, Measurement.objects.get(pk=second.pk), reason="x")
    case.refresh_from_db()
    assert case.status == "closed" and "dihapus" in case.status_reason


# --- the page ------------------------------------------------------------------------------------


def test_correction_page_corrects_and_closes_the_case(staff, make_child, staff_actor):
    child = make_child(name="Sari")
    m = services.record_measurement(staff_actor, child, M(date(2026, 1, 10), SEVERE))
    c = client_for(staff)
    url = f"/gizi/pengukuran/{m.public_id}/"
    page = c.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="2026-01-10"' in html and "Sari" in html and 'data-case-status="open"' in html
    # the entry page links each recent measurement to it
    assert url in c.get("/gizi/ukur/").content.decode()
    r = c.post(url, {"op": "correct", "measured_on": "2026-01-10", "weight": "11,5",
                     "length": "85", "position": "L"})  # fmt: skip
    assert r.status_code == 302 and r["Location"] == url
    m.refresh_from_db()
    assert m.weight_kg == 11.5 and NutritionCase.objects.get().status == "closed"
    assert AuditEvent.objects.filter(action="measurement.correct").count() == 1
    html = c.get(url).content.decode()
    assert "Pengukuran dikoreksi" in html and 'data-case-status="closed"' in html


@pytest.mark.parametrize(
    "bad",
    [
        {"op": "correct", "measured_on": "2026-01-10", "weight": "95", "length": "85"},
        {"op": "correct", "measured_on": "2026-01-10", "weight": "inf", "length": "85"},
        {"op": "correct", "measured_on": "2099-01-10", "weight": "11", "length": "85"},
        {"op": "correct", "measured_on": "", "weight": "11", "length": "85"},
        {"op": "correct", "measured_on": "2026-01-10", "weight": "", "length": ""},
        {"op": "delete", "reason": "  "},
        {"op": "hapus-semua"},
    ],
)
def test_correction_page_refusals_write_nothing(staff, make_child, staff_actor, bad):
    m = services.record_measurement(staff_actor, make_child(), M(date(2026, 1, 10), SEVERE))
    before = counts()
    r = client_for(staff).post(f"/gizi/pengukuran/{m.public_id}/", bad)
    assert r.status_code == 422
    assert 'id="measurement-error"' in r.content.decode()
    assert counts() == before


def test_correction_page_deletes_with_a_reason(staff, make_child, staff_actor):
    m = services.record_measurement(staff_actor, make_child(), M(date(2026, 1, 10), SEVERE))
    c = client_for(staff)
    url = f"/gizi/pengukuran/{m.public_id}/"
    r = c.post(url, {"op": "delete", "reason": "anak salah"})
    assert r.status_code == 302 and r["Location"] == "/gizi/ukur/"
    assert not Measurement.objects.exists()
    assert NutritionCase.objects.get().status == "closed"
    assert AuditEvent.objects.get(action="measurement.delete").after == {"reason": "anak salah"}
    # the same request twice: the measurement is gone
    assert c.post(url, {"op": "delete", "reason": "anak salah"}).status_code == 404


def test_correction_page_access(staff, other_staff, analyst, make_child, staff_actor):
    m = services.record_measurement(staff_actor, make_child(), M(date(2026, 1, 10), SEVERE))
    url = f"/gizi/pengukuran/{m.public_id}/"
    # another Puskesmas' record answers like an unknown id (issue 17: 403 told it exists)
    assert client_for(other_staff).get(url).status_code == 404
    assert client_for(other_staff).post(url, {"op": "delete", "reason": "x"}).status_code == 404
    assert client_for(analyst).get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to the login page
    assert client_for(staff).get("/gizi/pengukuran/bukan-uuid/").status_code == 404
    missing = "/gizi/pengukuran/7d1c1d1e-0000-4000-8000-000000000000/"
    assert client_for(staff).get(missing).status_code == 404
    assert Measurement.objects.count() == 1
