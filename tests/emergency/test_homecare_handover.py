"""Danger signs on a home visit that need an emergency become an incident, through home
care's own hand-over (`homecare.services.record_visit` -> `hand_over_escalation` ->
`emergency.services.create_from_homecare`)."""

import pytest

from sigap.core.services import Actor
from sigap.emergency import selectors
from sigap.emergency.models import Incident
from sigap.homecare import services as homecare
from sigap.homecare.models import Escalation, Visit
from tests.homecare.conftest import (  # noqa: F401 - home care's fixtures for its visit
    actor,
    area,
    puskesmas,
    roster,
    staff,
    target_groups,
)
from tests.homecare.test_services import DAY, _active_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(actor, roster, puskesmas):  # noqa: F811
    plan = _active_plan(actor, priority=1)
    homecare.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    return Visit.objects.get(care_plan=plan)


def _record(roster, visit, signs, **vitals):  # noqa: F811
    return homecare.record_visit(
        Actor(roster["nurse"].user, "web"),
        visit,
        homecare.RecordInput(outcome="worse", danger_signs=signs, **vitals),
    )


def test_emergency_signs_open_an_incident_at_the_patients_home(roster, visit, staff):  # noqa: F811
    record = _record(roster, visit, ["sesak_berat", "tidak_mau_makan"], spo2=88, pulse=120)
    esc = Escalation.objects.get(record=record)
    assert esc.kind == "emergency" and esc.status == "handed_over"
    inc = Incident.objects.get()
    patient = visit.care_plan.request
    assert (inc.source, inc.category, inc.triage) == ("homecare", "medical", "merah")
    assert (inc.latitude, inc.longitude, inc.village_id) == (
        patient.latitude,
        patient.longitude,
        patient.village_id,
    )
    assert inc.address == patient.address and inc.caller_phone == patient.phone
    assert "Sesak napas berat" in inc.notes and "SpO2 88" in inc.notes
    assert patient.name in inc.notes and patient.nik not in inc.notes  # no NIK to PSC
    assert inc.triage_answers == {"tidak_napas": True}
    # what home care keeps: the incident's public id and its number
    assert (esc.handed_to_type, esc.handed_to_id) == ("emergency.incident", inc.public_id)
    assert esc.handed_to == inc.number
    # it waits in the dispatcher's queue like a call
    assert [i.pk for i in selectors.active_incidents("3374")] == [inc.pk]
    # a second hand-over of the same escalation creates nothing
    Escalation.objects.filter(pk=esc.pk).update(status="open")
    homecare.hand_over_escalation(Actor(staff, "web"), Escalation.objects.get(pk=esc.pk))
    assert Incident.objects.count() == 1
    assert Escalation.objects.get(pk=esc.pk).status == "handed_over"


def test_consciousness_signs_are_at_least_kuning(roster, visit):  # noqa: F811
    _record(roster, visit, ["kejang"])
    inc = Incident.objects.get()
    assert inc.triage == "kuning" and inc.source == "homecare"


def test_someone_else_cannot_hand_over(roster, visit, make_user):  # noqa: F811
    from sigap.core.errors import Forbidden
    from sigap.emergency import services

    record = _record(roster, visit, ["tidak_mau_makan"])  # a referral escalation
    esc = Escalation.objects.get(record=record)
    stranger = make_user("orang-lain", "puskesmas_staff", area_code="3374")
    Escalation.objects.filter(pk=esc.pk).update(kind="emergency")
    esc.refresh_from_db()
    with pytest.raises(Forbidden):
        services.create_from_homecare(Actor(stranger, "web"), homecare.handover_of(esc))
    assert not Incident.objects.exists()
