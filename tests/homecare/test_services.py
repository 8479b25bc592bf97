"""Home-care services: requests, eligibility, care plans, daily plans, re-planning, visit
records and escalation, transport schedule."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sigap.core.errors import Conflict, Forbidden, InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.homecare import services
from sigap.homecare.models import (
    CarePlan,
    Escalation,
    HomecareRequest,
    PlanRoute,
    TransportTrip,
    Visit,
)
from sigap.homecare.services import care_plans, day_plans

from .conftest import request_input

DAY = date(2026, 3, 10)
WIB = ZoneInfo("Asia/Jakarta")
PUBLIC = Actor(user=None, channel="web")


def _active_plan(actor, *, village="3374011002", nik=None, group="kronis_imobil", skill="nurse",
                 priority=2, start=time(8), end=time(14), minutes=45, **kw):  # fmt: skip
    req = services.create_request(
        PUBLIC, request_input(village_code=village, **({"nik": nik} if nik else {}), **kw)
    )
    from sigap.homecare.models import TargetGroup

    checklist = TargetGroup.objects.get(code=group).checklist
    services.decide_eligibility(actor, req, target_group=group,
                                answers={c: True for c in checklist})  # fmt: skip
    return services.create_care_plan(
        actor, req,
        services.CarePlanInput(frequency_days=7, skill=skill, visit_minutes=minutes,
                               preferred_start=start, preferred_end=end, priority=priority,
                               start_date=DAY),
    )  # fmt: skip


def test_public_request_goes_to_the_puskesmas_of_the_kelurahan(puskesmas):
    req = services.create_request(PUBLIC, request_input())
    assert req.facility == puskesmas["miroto"] and req.status == "submitted"
    assert (req.latitude, req.longitude) == (-6.985, 110.42)  # kelurahan centroid
    req2 = services.create_request(PUBLIC, request_input(village_code="3374101001"))
    assert req2.facility == puskesmas["pudak"]
    audit = AuditEvent.objects.get(action="homecare_request.create", object_id=str(req.public_id))
    assert "3374" in audit.after["nik"] and "x" in audit.after["nik"]  # masked


@pytest.mark.parametrize(
    "change,field",
    [
        ({"nik": "123"}, "nik"),
        ({"nik": "3374019913800003"}, "nik"),  # month 13
        ({"phone": "abc"}, "phone"),
        ({"village_code": "9999999999"}, "village_code"),
        ({"need": "  "}, "need"),
        ({"target_group": "nope"}, "target_group"),
    ],
)
def test_bad_request_input_is_refused_and_nothing_written(puskesmas, change, field):
    with pytest.raises(InvalidInput) as err:
        services.create_request(PUBLIC, request_input(**change))
    assert err.value.field == field
    assert not HomecareRequest.objects.exists()


def test_other_capabilities_create_requests_once_per_reference(puskesmas):
    system = Actor.system("nutrition")
    a = services.create_request(system, request_input(target_group="gizi_buruk"),
                                source="nutrition", source_ref="case-17")  # fmt: skip
    b = services.create_request(system, request_input(target_group="gizi_buruk"),
                                source="nutrition", source_ref="case-17")  # fmt: skip
    assert a.pk == b.pk and a.source == "nutrition"
    with pytest.raises(Exception):  # noqa: B017 - anonymous callers may not claim a source
        services.create_request(PUBLIC, request_input(), source="discharge", source_ref="x")


def test_eligibility_checklist_and_transition_table(actor, other_staff, puskesmas):
    req = services.create_request(PUBLIC, request_input())
    with pytest.raises(Forbidden):
        services.decide_eligibility(Actor(user=other_staff, channel="web"), req,
                                    target_group="lansia_imobil", answers={})  # fmt: skip
    with pytest.raises(InvalidInput):  # not all criteria hold and no reason given
        services.decide_eligibility(actor, req, target_group="lansia_imobil", answers={})
    req = services.decide_eligibility(actor, req, target_group="lansia_imobil", answers={},
                                      note="Masih bisa berjalan")  # fmt: skip
    assert req.status == "ineligible"
    with pytest.raises(Conflict):  # ineligible -> active is not in the table
        services.move_request(actor, req, "active")
    with pytest.raises(Conflict):
        services.create_care_plan(actor, req, services.CarePlanInput(
            7, "nurse", 30, time(8), time(12), 2, DAY))  # fmt: skip


def test_care_plan_activates_request(actor, puskesmas):
    plan = _active_plan(actor)
    assert plan.request.status == "active" and plan.next_due == DAY
    with pytest.raises(InvalidInput):
        care_plans._validate_plan(services.CarePlanInput(7, "nurse", 30, time(12), time(8), 2, DAY))


def test_daily_plan_routes_each_visit_to_a_worker_with_the_skill(actor, roster, puskesmas):
    p1 = _active_plan(actor, priority=1)
    p2 = _active_plan(actor, nik="3374015203950002", group="bumil_risti", skill="midwife",
                      village="3374011001")  # fmt: skip
    day_plan = services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.5)
    assert day_plan.summary["planned"] == 2 and day_plan.summary["feasible"]
    v1 = Visit.objects.get(care_plan=p1)
    v2 = Visit.objects.get(care_plan=p2)
    assert v1.status == v2.status == "planned"
    assert v1.worker == roster["nurse"] and v2.worker == roster["midwife"]
    local = v1.planned_start.astimezone(WIB)
    assert time(8) <= local.time() <= time(14)
    assert v1.planned_arrival <= v1.planned_start < v1.planned_end
    assert PlanRoute.objects.filter(day_plan=day_plan).count() == 2


def test_leave_removes_a_worker_from_the_plan(actor, roster, puskesmas):
    _active_plan(actor, priority=1)
    services.add_leave(actor, roster["nurse"], DAY, DAY, "cuti")
    day_plan = services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    assert day_plan.summary["planned"] == 0 and day_plan.summary["unserved_priority1"] == 1
    assert not day_plan.summary["feasible"]


def test_replan_after_cancel_and_urgent_insert_keeps_started_visits(actor, roster, puskesmas):
    plans = [
        _active_plan(actor, nik=f"33740145018000{i:02d}", priority=2, minutes=40)
        for i in range(1, 4)
    ]
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.5)
    visits = list(Visit.objects.filter(date=DAY).order_by("sequence"))
    first = visits[0]
    started_at = first.planned_start
    services.start_visit(actor, first, now=started_at)
    now = started_at + timedelta(minutes=5)
    services.cancel_visit(actor, visits[1], "Keluarga sedang ke luar kota", now=now)
    urgent = services.add_urgent_visit(actor, plans[2] if visits[2].care_plan != plans[2]
                                       else visits[2].care_plan, DAY, now=now)  # fmt: skip
    first.refresh_from_db()
    assert first.status == "started" and first.planned_start == started_at  # not moved
    assert Visit.objects.get(pk=visits[1].pk).status == "cancelled"
    urgent.refresh_from_db()
    assert urgent.urgent and urgent.status == "planned"
    # the worker goes on from the started visit: nothing planned before it ends
    assert urgent.planned_start >= started_at + timedelta(minutes=40)


def test_visit_record_with_danger_signs_raises_an_escalation(actor, roster, puskesmas):
    plan = _active_plan(actor, priority=1)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    visit = Visit.objects.get(care_plan=plan)
    nurse_actor = Actor(user=roster["nurse"].user, channel="web")
    with pytest.raises(InvalidInput):
        services.record_visit(nurse_actor, visit, services.RecordInput(outcome="stable", spo2=7))
    record = services.record_visit(
        nurse_actor, visit,
        services.RecordInput(outcome="worse", systolic=190, diastolic=100, spo2=95,
                             notes="Pusing", danger_signs=["nyeri_dada"]),
    )  # fmt: skip
    assert "tekanan_darah" in record.danger_signs and "nyeri_dada" in record.danger_signs
    esc = Escalation.objects.get(record=record)
    assert esc.kind == "emergency" and esc.status in ("open", "handed_over")
    visit.refresh_from_db()
    assert visit.status == "done"
    assert CarePlan.objects.get(pk=plan.pk).next_due == DAY + timedelta(days=7)
    with pytest.raises(Conflict):
        services.record_visit(nurse_actor, visit, services.RecordInput(outcome="stable"))


def test_another_workers_visit_is_not_theirs(actor, roster, puskesmas, make_user):
    plan = _active_plan(actor, priority=1)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    visit = Visit.objects.get(care_plan=plan)
    stranger = make_user("orang-lain", "puskesmas_staff")
    with pytest.raises(Forbidden):
        services.record_visit(Actor(user=stranger, channel="web"), visit,
                              services.RecordInput(outcome="stable"))  # fmt: skip


def test_transport_schedule_respects_windows(actor, puskesmas):
    base = puskesmas["miroto"]
    from sigap.homecare.models import Driver, TransportVehicle

    TransportVehicle.objects.create(facility=base, name="Ambulans desa", seats=2)
    Driver.objects.create(facility=base, name="Pak Budi", shift_start=time(6), shift_end=time(18))
    appt = datetime(2026, 3, 10, 9, 0, tzinfo=WIB)
    trip = services.create_trip(actor, services.TripInput(
        direction="to_facility", destination_id=puskesmas["pudak"].pk, nik="3374014501800003",
        name="Ibu Warsini", phone="0812345678", address="Jl. Miroto 3",
        village_code="3374011002", date=DAY, appointment_at=appt))  # fmt: skip
    home = services.create_trip(actor, services.TripInput(
        direction="to_home", destination_id=puskesmas["pudak"].pk, nik="3374011001700001",
        name="Pak Darmo", phone="0812345679", address="Jl. Miroto 9",
        village_code="3374011001", date=DAY, ready_at=appt + timedelta(hours=3)))  # fmt: skip
    result = services.schedule_transport(actor, base, DAY, seconds=0.5)
    assert result == result | {"scheduled": 2, "unscheduled": 0}
    trip.refresh_from_db()
    home.refresh_from_db()
    assert trip.status == "scheduled" and trip.planned_pickup < trip.planned_dropoff
    assert appt - timedelta(minutes=45) <= trip.planned_dropoff <= appt - timedelta(minutes=10)
    assert home.planned_pickup >= appt + timedelta(hours=3)
    services.move_trip(actor, trip, "picked_up")
    with pytest.raises(Conflict):
        services.move_trip(actor, trip, "scheduled")
    assert TransportTrip.objects.get(pk=trip.pk).status == "picked_up"


def test_nightly_sweep_plans_tomorrow_once(actor, roster, puskesmas, monkeypatch):
    monkeypatch.setattr(day_plans, "PLANNER_SECONDS", 0.3)
    _active_plan(actor, priority=1)
    evening = datetime(2026, 3, 9, 19, 0, tzinfo=WIB)
    assert services.plan_tomorrow_if_due(evening - timedelta(hours=3)) == []  # too early
    plans = services.plan_tomorrow_if_due(evening)
    assert [p.date for p in plans] == [DAY]
    assert Visit.objects.get().status == "planned"
    assert services.plan_tomorrow_if_due(evening + timedelta(minutes=15)) == []  # already done
