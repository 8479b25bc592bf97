"""Issue 17 (Low): the staff JKN lookup is for the roles that need it, shows the segment
(PBI reveals welfare status) to the office only, and is limited per user."""

from datetime import date

import pytest

from sigap.core.models import AuditEvent
from sigap.coverage import services

from .conftest import KEL_A, MEM_HEADER, POP_HEADER, TODAY, person, write_csv

pytestmark = pytest.mark.django_db
MAY = date(2026, 5, 1)
PEOPLE = [person("337401", date(1990, 1, 1 + i), 50 + i, KEL_A) for i in range(3)]
URL = "/api/v1/coverage/lookup"


@pytest.fixture
def data(semarang, cli, tmp_path):
    services.import_snapshot(cli, "population", write_csv(tmp_path / "p.csv", POP_HEADER, PEOPLE),
                             MAY, today=TODAY)  # fmt: skip
    members = [[p[0], "", "PBI-APBN", "1", "", "P01", "3"] for p in PEOPLE[:2]]
    services.import_snapshot(cli, "membership", write_csv(tmp_path / "m.csv", MEM_HEADER, members),
                             MAY, today=TODAY)  # fmt: skip


def _lookup(client, nik=None):
    return client.post(URL, {"nik": nik or PEOPLE[0][0]}, content_type="application/json")


@pytest.mark.parametrize("role", ["ambulance_crew", "dispatcher", "psc_call_taker", "public"])
def test_roles_that_do_not_need_it_are_refused(client, make_user, data, role):
    client.force_login(make_user("u", role, area_code="3374"))
    resp = _lookup(client)
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
    assert not AuditEvent.objects.filter(action="coverage.lookup").exists()


def test_anonymous_is_refused(client, data):
    assert _lookup(client).status_code == 401


@pytest.mark.parametrize(
    ("role", "segment"),
    [
        ("hospital_operator", None),
        ("puskesmas_staff", None),
        ("analyst", "PBI-APBN"),
        ("admin", "PBI-APBN"),
    ],  # fmt: skip
)
def test_admission_desks_see_cover_and_the_office_the_segment(client, make_user, data, role,
                                                              segment):  # fmt: skip
    client.force_login(make_user("u", role, area_code="3374"))
    body = _lookup(client).json()
    assert body["known"] and body["covered"] and body["active"]
    assert body["segment"] == segment and body["faskes_code"] == "P01"
    assert AuditEvent.objects.filter(action="coverage.lookup").count() == 1


def test_lookups_are_limited_per_user(client, make_user, data, settings):
    settings.SIGAP_COVERAGE_STAFF_LOOKUP_RATE = (2, 3600)
    client.force_login(make_user("pkm", "puskesmas_staff", area_code="3374"))
    codes = [_lookup(client, PEOPLE[i % 3][0]).status_code for i in range(4)]
    assert codes == [200, 200, 429, 429]
    assert AuditEvent.objects.filter(action="coverage.lookup").count() == 2
    client.logout()
    client.force_login(make_user("pkm2", "puskesmas_staff", area_code="3374"))
    assert _lookup(client).status_code == 200  # another user has its own budget
