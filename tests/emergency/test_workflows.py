"""Emergency's five state machines run on core.workflow: one table each, 409 for an illegal
move, an audit record per move (assignments and agency requests included)."""

import pytest

from sigap.core.errors import Conflict
from sigap.core.models import AuditEvent
from sigap.core.workflow import Workflow
from sigap.emergency import services
from sigap.emergency.models import Agency, Assignment, Handoff, IncidentAgency

from .conftest import actor

pytestmark = pytest.mark.django_db


def test_every_emergency_status_has_one_workflow_table():
    tables = [
        services.INCIDENTS,
        services.UNITS,
        services.HANDOFFS,
        services.ASSIGNMENTS,
        services.AGENCY_REQUESTS,
    ]
    assert all(isinstance(t, Workflow) for t in tables)
    for t in tables:
        field = t.model._meta.get_field(t.state_field)
        assert t.states() == {value for value, _label in field.choices}, t.name
    # the old names read the same tables
    assert services.UNIT_TRANSITIONS is services.UNITS.graph


def test_ending_an_assignment_goes_through_its_table(users, call, make_unit):
    unit, inc = make_unit(), call()
    a = services.assign_unit(actor(users["dispatcher"]), inc, unit)
    services.cancel_assignment(actor(users["dispatcher"]), a, reason="salah kirim")
    a.refresh_from_db()
    assert a.status == Assignment.Status.CANCELLED and a.ended_at and a.end_reason
    audit = AuditEvent.objects.get(action="emergency.assignment.cancelled")
    assert audit.before == {"status": "active"} and audit.after["status"] == "cancelled"
    with pytest.raises(Conflict) as err:  # an ended assignment does not come back
        services.ASSIGNMENTS.move(actor(users["dispatcher"]), a, Assignment.Status.COMPLETED)
    assert err.value.status == 409 and err.value.code == "illegal_transition"


def test_agency_request_moves_are_audited_on_the_request(users, call):
    Agency.objects.create(area_code="3374", kind="fire", name="Damkar")
    inc = call(category="fire", triage="kuning")
    services.request_agencies(actor(users["psc"]), inc, ["fire"])
    req = IncidentAgency.objects.get(incident=inc)
    assert req.status == IncidentAgency.Status.NO_CHANNEL
    for word in ("on_scene", "done"):  # an agency reports again: it stays acknowledged
        services.agency_status(services.Actor.system("damkar"), req.agency, inc, status=word)
    req.refresh_from_db()
    assert req.status == IncidentAgency.Status.ACKNOWLEDGED and req.partner_status == "done"
    reports = AuditEvent.objects.filter(
        action="emergency.agency.status", object_type="emergency.incidentagency"
    )
    assert reports.count() == 2


def test_illegal_handoff_move_is_a_409(users, call, make_hospital):
    rs = make_hospital("RS Kota")
    h = services.create_handoff(actor(users["dispatcher"]), call(), rs)
    services.move_handoff(actor(users["dispatcher"]), h, Handoff.Status.CANCELLED)
    with pytest.raises(Conflict) as err:
        services.move_handoff(actor(users["dispatcher"]), h, Handoff.Status.ARRIVED)
    assert err.value.status == 409 and err.value.code == "illegal_transition"
    assert Handoff.objects.get(pk=h.pk).status == Handoff.Status.CANCELLED
