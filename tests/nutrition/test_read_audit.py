"""Issue 17 (Low, ASVS 8.3.5): reads of child records leave an audit record - the case page
and the measurements API (one record per read of a child), the case list and child search
(one record per list read naming the children shown), none for a refused read."""

from datetime import date

import pytest
from django.urls import reverse

from sigap.core.models import AuditEvent
from sigap.nutrition import services
from sigap.nutrition.models import NutritionCase

from .conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(staff_actor, make_child):
    c = make_child(name="Sari Contoh", birth_date=date(2025, 1, 1))
    data = services.MeasurementInput(date(2025, 10, 1), 6.0, 72.0, "L")
    services.record_measurement(staff_actor, c, data)  # severely wasted: opens a case
    return c


def reads():
    return AuditEvent.objects.filter(action="child.read").order_by("id")


def lists():
    return AuditEvent.objects.filter(action="child.list").order_by("id")


def test_case_page_and_measurements_api_reads_are_audited(staff, child):
    case = NutritionCase.objects.get(child=child)
    c = client_for(staff)
    assert c.get(f"/gizi/kasus/{case.public_id}/").status_code == 200
    assert c.get(f"/api/v1/nutrition/children/{child.public_id}/measurements").status_code == 200
    got = [(a.channel, a.actor, a.object_id) for a in reads()]
    assert got == [("web", staff, str(child.public_id)), ("api", staff, str(child.public_id))]
    assert reads()[0].after == {"case": str(case.public_id)}


def test_a_refused_read_is_not_recorded(other_staff, child):
    r = client_for(other_staff).get(f"/api/v1/nutrition/children/{child.public_id}/measurements")
    assert r.status_code in (403, 404)
    assert not reads().exists()


def test_lists_leave_one_record_naming_the_children(staff, child):
    c = client_for(staff)
    c.get("/gizi/kasus/")
    c.get("/api/v1/nutrition/cases")
    c.get("/api/v1/nutrition/children?q=sari")
    got = [(a.channel, a.after["list"], a.after["ids"]) for a in lists()]
    ids = [str(child.public_id)]
    assert got == [("web", "cases", ids), ("api", "cases", ids), ("api", "search", ids)]
    assert not reads().exists()


def test_measurement_page_and_entry_list_are_audited(staff, child, facilities):
    m = child.measurements.get()
    c = client_for(staff)
    assert c.get(reverse("nutrition:measurement", args=[m.public_id])).status_code == 200
    read = reads().get()
    assert (read.object_id, read.after) == (str(child.public_id), {"measurement": str(m.public_id)})
    assert c.get("/gizi/ukur/", {"posyandu": str(facilities["pos1"].public_id)}).status_code == 200
    entry = lists().get()
    assert (entry.after["list"], entry.after["ids"]) == ("entry", [str(child.public_id)])
