"""Issue 17 (Low): reads of personal data in home care leave an audit record (who, when,
what): a request's page, a visit record (page and API), the inbox and its API, the printed
route sheet, through core's read-audit helpers (sigap.core.services.audit_read and
audit_list_read: one record per list read, naming the ids shown)."""

import pytest

from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.homecare import services

from .conftest import client_as, request_input
from .test_vitals import no_hand_over, visit  # noqa: F401 - fixtures


@pytest.fixture
def req(puskesmas):
    return services.create_request(Actor(None, "web"), request_input())


def test_request_page_read_is_audited(staff, req, other_staff):
    client_as(staff).get(f"/perawatan-rumah/permintaan/{req.public_id}/")
    read = AuditEvent.objects.get(action="homecarerequest.read")
    assert (read.actor, read.object_id, read.channel) == (staff, str(req.public_id), "web")
    assert read.at is not None and read.remote_addr == "127.0.0.1"
    # a refused read (another Puskesmas) is not a read of the data
    assert client_as(other_staff).get(
        f"/perawatan-rumah/permintaan/{req.public_id}/"
    ).status_code == 404  # fmt: skip
    assert AuditEvent.objects.filter(action="homecarerequest.read").count() == 1


def test_inbox_and_its_api_reads_are_audited(staff, req, puskesmas):
    c = client_as(staff)
    c.get("/perawatan-rumah/puskesmas/")
    c.get(f"/api/v1/homecare/puskesmas/{puskesmas['miroto'].pk}/requests")
    lists = list(AuditEvent.objects.filter(action="homecarerequest.list").order_by("id"))
    assert [(a.channel, a.after["ids"], a.actor) for a in lists] == [
        ("web", [str(req.public_id)], staff), ("api", [str(req.public_id)], staff)
    ]  # fmt: skip
    assert lists[0].object_id == str(puskesmas["miroto"].public_id)
    assert lists[0].object_type == "homecare.homecarerequest"


def test_visit_record_reads_are_audited(roster, visit, no_hand_over):  # noqa: F811
    nurse = roster["nurse"].user
    c = client_as(nurse)
    c.get(f"/perawatan-rumah/kunjungan/{visit.public_id}/")  # before the record: the patient
    assert AuditEvent.objects.filter(action="homecarerequest.read", actor=nurse).count() == 1
    services.record_visit(Actor(nurse, "web"), visit, services.RecordInput(outcome="stable"))
    c.get(f"/perawatan-rumah/kunjungan/{visit.public_id}/")
    c.get(f"/api/v1/homecare/visits/{visit.public_id}/record")
    reads = AuditEvent.objects.filter(action="visitrecord.read", actor=nurse)
    assert sorted(reads.values_list("channel", flat=True)) == ["api", "web"]


def test_route_sheet_is_audited(staff, puskesmas):
    client_as(staff).get("/perawatan-rumah/rencana/lembar/?tanggal=2026-03-10")
    sheet = AuditEvent.objects.get(action="visit.list")
    assert sheet.after == {"ids": [], "count": 0, "list": "route_sheet", "sheet": "2026-03-10"}
