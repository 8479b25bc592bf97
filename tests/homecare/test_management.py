"""A coordinator's management of requests, care plans, the roster and the Jemput Sakit Antar
Sehat fleet: services (transition tables, audit, scoping, re-planning effects) and pages."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.homecare import services
from sigap.homecare.models import (
    CarePlan,
    Driver,
    HomecareRequest,
    PlanRoute,
    TransportTrip,
    TransportVehicle,
    Visit,
    Worker,
)

from .conftest import NIK, client_as, request_input
from .test_services import DAY, PUBLIC, _active_plan

WIB = ZoneInfo("Asia/Jakarta")


def _change(plan, **kw) -> services.CarePlanChange:
    base = {
        n: getattr(plan, n)
        for n in (
            "frequency_days",
            "skill",
            "visit_minutes",
            "preferred_start",
            "preferred_end",
            "priority",
        )
    }
    return services.CarePlanChange(**(base | kw))


# --- care plans ---


def test_edit_care_plan_validates_audits_and_releases_planned_visits(actor, roster, puskesmas):
    plan = _active_plan(actor, priority=2)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    visit = Visit.objects.get(care_plan=plan)
    assert visit.status == "planned" and visit.worker == roster["nurse"]
    with pytest.raises(InvalidInput) as err:
        services.update_care_plan(actor, plan, _change(plan, visit_minutes=2))
    assert err.value.field == "visit_minutes"
    with pytest.raises(InvalidInput):
        services.update_care_plan(actor, plan, _change(plan, preferred_end=time(7)))
    assert CarePlan.objects.get(pk=plan.pk).visit_minutes == 45  # nothing written
    plan = services.update_care_plan(
        actor,
        plan,
        _change(
            plan,
            skill="midwife",
            visit_minutes=60,
            priority=1,
            frequency_days=3,
            preferred_start=time(9),
        ),
    )
    assert (plan.skill, plan.visit_minutes, plan.priority, plan.frequency_days) == (
        "midwife",
        60,
        1,
        3,
    )
    visit.refresh_from_db()
    assert visit.status == "due" and visit.worker is None  # back to the planner
    audit = AuditEvent.objects.get(action="care_plan.update")
    assert audit.before["skill"] == "nurse" and audit.after["skill"] == "midwife"
    day_plan = services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    visit.refresh_from_db()
    assert visit.worker == roster["midwife"] and day_plan.summary["feasible"]
    assert visit.planned_start.astimezone(WIB).time() >= time(9)


def test_edit_is_scoped_to_the_puskesmas(actor, other_staff, puskesmas):
    plan = _active_plan(actor)
    with pytest.raises(Forbidden):
        services.update_care_plan(Actor(other_staff, "web"), plan, _change(plan, priority=1))
    with pytest.raises(Forbidden):
        services.pause_care_plan(Actor(other_staff, "web"), plan, "x")


def test_paused_plan_is_left_out_of_the_next_plan_and_resumes(actor, roster, puskesmas):
    kept = _active_plan(actor, priority=2)
    paused = _active_plan(actor, nik="3374015203950002", priority=1)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    assert Visit.objects.filter(date=DAY, status="planned").count() == 2
    with pytest.raises(InvalidInput):  # a reason is required
        services.pause_care_plan(actor, paused, " ")
    paused = services.pause_care_plan(actor, paused, "Dirawat di rumah sakit")
    assert paused.status == "paused" and paused.status_reason == "Dirawat di rumah sakit"
    assert Visit.objects.get(care_plan=paused).status == "cancelled"
    day_plan = services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    assert day_plan.summary["planned"] == 1
    assert set(
        Visit.objects.filter(date=DAY, status="planned").values_list("care_plan", flat=True)
    ) == {kept.pk}
    with pytest.raises(Conflict):  # paused -> paused is not in the table
        services.pause_care_plan(actor, paused, "lagi")
    with pytest.raises(Conflict):
        services.add_urgent_visit(actor, paused, DAY, replan=False)
    resumed = services.resume_care_plan(actor, paused, day=DAY + timedelta(days=2))
    assert resumed.status == "active" and resumed.next_due == DAY + timedelta(days=2)
    assert AuditEvent.objects.filter(action__in=["careplan.paused", "careplan.active"]).count() == 2


def test_end_plan_closes_the_request_and_cancels_open_visits(actor, roster, puskesmas):
    plan = _active_plan(actor, priority=1)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    plan = services.end_care_plan(actor, plan, "Sudah bisa berjalan", day=DAY)
    assert plan.status == "completed" and plan.end_date == DAY
    assert HomecareRequest.objects.get(pk=plan.request_id).status == "closed"
    assert Visit.objects.get(care_plan=plan).status == "cancelled"
    assert (
        services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3).summary["planned"] == 0
    )
    with pytest.raises(Conflict):
        services.update_care_plan(actor, plan, _change(plan, priority=1))
    with pytest.raises(Conflict):
        services.resume_care_plan(actor, plan)


# --- requests ---


def test_decline_and_cancel_requests(actor, roster, puskesmas):
    req = services.create_request(PUBLIC, request_input())
    with pytest.raises(InvalidInput):
        services.decline_request(actor, req, "")
    req = services.decline_request(actor, req, "Masih bisa ke Puskesmas")
    assert req.status == "ineligible" and req.decision_note == "Masih bisa ke Puskesmas"
    with pytest.raises(Conflict):
        services.cancel_request(actor, req, "x")  # ineligible -> cancelled is not in the table
    plan = _active_plan(actor, nik="3374015203950002", priority=1)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    req2 = services.cancel_request(actor, plan.request, "Keluarga pindah ke luar kota")
    assert req2.status == "cancelled" and req2.status_reason.startswith("Keluarga")
    assert CarePlan.objects.get(pk=plan.pk).status == "cancelled"
    assert Visit.objects.get(care_plan=plan).status == "cancelled"


def test_resident_cancels_with_number_and_nik_only_before_care(actor, puskesmas):
    req = services.create_request(PUBLIC, request_input())
    with pytest.raises(InvalidInput):
        services.cancel_request_by_resident(PUBLIC, "bukan-nomor", NIK, "tidak jadi")
    with pytest.raises(NotFound):  # wrong NIK: same answer as an unknown number
        services.cancel_request_by_resident(PUBLIC, str(req.public_id), "3374014501800004", "x")
    assert HomecareRequest.objects.get(pk=req.pk).status == "submitted"
    done = services.cancel_request_by_resident(PUBLIC, str(req.public_id), NIK, "Sudah sembuh")
    assert done.status == "cancelled"
    plan = _active_plan(actor, nik="3374015203950002")
    with pytest.raises(Conflict):  # care started: the Puskesmas ends it
        services.cancel_request_by_resident(
            PUBLIC, str(plan.request.public_id), "3374015203950002", "x"
        )


# --- roster ---


def test_worker_edit_releases_visits_it_no_longer_fits(actor, roster, puskesmas, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: DAY - timedelta(days=1))
    plan = _active_plan(actor, priority=1)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    nurse = roster["nurse"]
    visit = Visit.objects.get(care_plan=plan)
    assert visit.worker == nurse
    data = services.WorkerInput("Ners Ani", ["nurse", "doctor"], time(7), time(16), "car")
    with pytest.raises(InvalidInput):
        services.update_worker(
            actor, nurse, services.WorkerInput("Ners Ani", ["pilot"], time(8), time(15))
        )
    nurse = services.update_worker(actor, nurse, data)
    assert nurse.skills == ["doctor", "nurse"] and nurse.travel_mode == "car"
    visit.refresh_from_db()
    assert visit.status == "planned"  # still fits
    services.update_worker(
        actor, nurse, services.WorkerInput("Ners Ani", ["doctor"], time(7), time(16))
    )
    visit.refresh_from_db()
    assert visit.status == "due" and visit.worker is None


def test_deactivated_or_on_leave_worker_is_not_planned(actor, roster, puskesmas, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: DAY - timedelta(days=1))
    plan = _active_plan(actor, priority=1)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    nurse = roster["nurse"]
    with pytest.raises(InvalidInput):  # deactivating needs a reason
        services.set_worker_active(actor, nurse, False)
    services.set_worker_active(actor, nurse, False, "Pindah tugas")
    assert not Worker.objects.get(pk=nurse.pk).is_active
    visit = Visit.objects.get(care_plan=plan)
    assert visit.status == "due" and visit.worker is None
    assert not PlanRoute.objects.filter(worker=nurse).exists()
    with pytest.raises(Conflict):
        services.set_worker_active(actor, nurse, False, "lagi")
    day_plan = services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    assert day_plan.summary["workers"] == 1 and day_plan.summary["unserved_priority1"] == 1
    services.set_worker_active(actor, nurse, True)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    assert Visit.objects.get(care_plan=plan).worker_id == nurse.pk
    services.add_leave(actor, nurse, DAY, DAY + timedelta(days=2), "cuti tahunan")
    assert Visit.objects.get(care_plan=plan).status == "due"
    with pytest.raises(InvalidInput):
        services.add_leave(actor, nurse, DAY, DAY - timedelta(days=1))
    assert AuditEvent.objects.filter(action="worker.deactivate").count() == 1


# --- fleet ---


def _trip(actor, puskesmas, hour=9):
    appt = datetime(2026, 3, 10, hour, 0, tzinfo=WIB)
    return services.create_trip(
        actor,
        services.TripInput(
            direction="to_facility",
            destination_id=puskesmas["pudak"].pk,
            nik=NIK,
            name="Ibu Warsini",
            phone="0812345678",
            address="Jl. Miroto 3",
            village_code="3374011002",
            date=DAY,
            appointment_at=appt,
        ),
    )


def test_fleet_create_edit_deactivate_and_schedule_uses_active_only(
    actor, other_staff, puskesmas, monkeypatch
):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: DAY - timedelta(days=1))
    base = puskesmas["miroto"]
    with pytest.raises(InvalidInput) as err:
        services.save_vehicle(actor, base, services.VehicleInput("Mobil", "12345", 2))
    assert err.value.field == "plate"
    with pytest.raises(InvalidInput):
        services.save_vehicle(actor, base, services.VehicleInput("Mobil", "", 0))
    with pytest.raises(Forbidden):
        services.save_vehicle(Actor(other_staff, "web"), base, services.VehicleInput("M"))
    car = services.save_vehicle(actor, base, services.VehicleInput("Mobil siaga", "h 1234 ab", 2))
    assert car.plate == "H 1234 AB"
    with pytest.raises(InvalidInput):
        services.save_driver(actor, base, services.DriverInput("Pak Budi", time(18), time(6)))
    driver = services.save_driver(actor, base, services.DriverInput("Pak Budi", time(6), time(18)))
    trip = _trip(actor, puskesmas)
    assert services.schedule_transport(actor, base, DAY, seconds=0.3)["scheduled"] == 1
    # a shift that no longer covers the trip takes it off the schedule
    services.save_driver(actor, base, services.DriverInput("Pak Budi", time(12), time(18)), driver)
    trip.refresh_from_db()
    assert trip.status == "unscheduled" and trip.driver is None
    services.save_driver(actor, base, services.DriverInput("Pak Budi", time(6), time(18)), driver)
    assert services.schedule_transport(actor, base, DAY, seconds=0.3)["scheduled"] == 1
    services.set_fleet_active(actor, car, False)
    trip.refresh_from_db()
    assert trip.status == "unscheduled" and trip.vehicle is None
    with pytest.raises(Conflict):
        services.set_fleet_active(actor, car, False)
    result = services.schedule_transport(actor, base, DAY, seconds=0.3)
    assert result["scheduled"] == 0 and result["unscheduled"] == 1  # no active vehicle
    spare = services.save_vehicle(actor, base, services.VehicleInput("Mobil cadangan", "", 1))
    assert services.schedule_transport(actor, base, DAY, seconds=0.3)["scheduled"] == 1
    assert TransportTrip.objects.get(pk=trip.pk).vehicle == spare
    services.set_fleet_active(actor, driver, False)
    assert TransportTrip.objects.get(pk=trip.pk).status == "unscheduled"
    assert (
        AuditEvent.objects.filter(
            action__in=["transportvehicle.deactivate", "driver.deactivate"]
        ).count()
        == 2
    )


# --- pages ---


def test_request_management_pages(staff, other_staff, actor, roster, puskesmas):
    plan = _active_plan(actor, priority=2)
    url = f"/perawatan-rumah/permintaan/{plan.request.public_id}/"
    c = client_as(staff)
    page = c.get(url).content.decode()
    assert 'id="plan-edit"' in page and 'id="plan-pause"' in page
    form = {
        "action": "plan_edit",
        "frequency_days": "3",
        "skill": "nurse",
        "visit_minutes": "x",
        "preferred_start": "08:00",
        "preferred_end": "12:00",
        "priority": "1",
    }
    r = c.post(url + "kelola/", form, follow=True)
    assert r.status_code == 200 and CarePlan.objects.get(pk=plan.pk).frequency_days == 7
    r = c.post(url + "kelola/", form | {"visit_minutes": "30"})
    assert r.status_code == 302 and CarePlan.objects.get(pk=plan.pk).visit_minutes == 30
    assert c.post(url + "kelola/", {"action": "plan_pause", "reason": "Mudik"}).status_code == 302
    assert CarePlan.objects.get(pk=plan.pk).status == "paused"
    assert "Mudik" in c.get(url).content.decode()
    assert c.post(url + "kelola/", {"action": "plan_resume"}).status_code == 302
    assert CarePlan.objects.get(pk=plan.pk).status == "active"
    assert c.post(url + "kelola/", {"action": "nope"}).status_code == 302
    other = client_as(other_staff)
    assert other.post(url + "kelola/", {"action": "plan_end", "reason": "x"}).status_code == 404
    assert c.post(url + "kelola/", {"action": "plan_end", "reason": "Selesai"}).status_code == 302
    assert CarePlan.objects.get(pk=plan.pk).status == "completed"
    req = services.create_request(PUBLIC, request_input(nik="3374015203950002"))
    url2 = f"/perawatan-rumah/permintaan/{req.public_id}/"
    assert 'id="request-decline"' in c.get(url2).content.decode()
    c.post(url2 + "kelola/", {"action": "cancel", "reason": "Dobel"})
    assert HomecareRequest.objects.get(pk=req.pk).status == "cancelled"


def test_resident_cancel_page(puskesmas):
    req = services.create_request(PUBLIC, request_input())
    c = client_as()
    assert c.get(f"/perawatan-rumah/minta/batal/?request_number={req.public_id}").status_code == 200
    bad = c.post(
        "/perawatan-rumah/minta/batal/",
        {"request_number": str(req.public_id), "nik": "3374014501800009", "reason": "x"},
    )
    assert bad.status_code == 404 and "Ibu Warsini" not in bad.content.decode()
    assert (
        c.post(
            "/perawatan-rumah/minta/batal/", {"request_number": "zz", "nik": NIK, "reason": "x"}
        ).status_code
        == 422
    )
    ok = c.post(
        "/perawatan-rumah/minta/batal/",
        {"request_number": str(req.public_id), "nik": NIK, "reason": "Tidak jadi"},
    )
    assert ok.status_code == 200 and 'id="cancel-done"' in ok.content.decode()
    assert HomecareRequest.objects.get(pk=req.pk).status == "cancelled"


def test_worker_page(staff, other_staff, roster, puskesmas):
    nurse = roster["nurse"]
    url = f"/perawatan-rumah/petugas/{nurse.public_id}/"
    c = client_as(staff)
    assert c.get(url).status_code == 200
    assert client_as(other_staff).get(url).status_code == 404  # like an unknown id
    r = c.post(
        url,
        {
            "action": "edit",
            "name": "Ners Ani",
            "skills": ["nurse", "midwife"],
            "shift_start": "07:00",
            "shift_end": "14:00",
            "travel_mode": "car",
        },
    )
    assert r.status_code == 302
    nurse.refresh_from_db()
    assert nurse.skills == ["midwife", "nurse"] and nurse.shift_start == time(7)
    r = c.post(
        url,
        {
            "action": "edit",
            "name": "Ners Ani",
            "skills": ["nurse"],
            "shift_start": "jam",
            "shift_end": "14:00",
            "travel_mode": "car",
        },
    )
    assert r.status_code == 302 and Worker.objects.get(pk=nurse.pk).skills == ["midwife", "nurse"]
    c.post(url, {"action": "leave", "start_date": "2026-03-10", "end_date": "2026-03-11"})
    assert nurse.leaves.count() == 1
    c.post(url, {"action": "deactivate", "reason": "Pensiun"})
    assert not Worker.objects.get(pk=nurse.pk).is_active
    assert "nonaktif" in c.get(url).content.decode()
    c.post(url, {"action": "activate"})
    assert Worker.objects.get(pk=nurse.pk).is_active
    assert (
        c.get("/perawatan-rumah/petugas/00000000-0000-0000-0000-000000000000/").status_code == 404
    )


def test_fleet_page(staff, other_staff, puskesmas):
    c = client_as(staff)
    url = "/perawatan-rumah/jemput-antar/armada/"
    assert c.get(url).status_code == 200
    c.post(url, {"action": "vehicle_save", "name": "Mobil siaga", "plate": "H 1 A", "seats": "2"})
    car = TransportVehicle.objects.get()
    assert car.facility == puskesmas["miroto"]
    assert c.post(url, {"action": "vehicle_save", "name": "X", "seats": "dua"}).status_code == 302
    assert TransportVehicle.objects.count() == 1
    c.post(
        url,
        {
            "action": "vehicle_save",
            "vehicle": str(car.public_id),
            "name": "Mobil 1",
            "plate": "",
            "seats": "3",
        },
    )
    car.refresh_from_db()
    assert (car.name, car.seats) == ("Mobil 1", 3)
    c.post(url, {"action": "vehicle_off", "vehicle": str(car.public_id)})
    assert not TransportVehicle.objects.get().is_active
    assert c.post(url, {"action": "vehicle_on", "vehicle": "bukan-uuid"}).status_code == 302
    c.post(
        url,
        {"action": "driver_save", "name": "Pak Budi", "shift_start": "06:00", "shift_end": "14:00"},
    )
    driver = Driver.objects.get()
    c.post(
        url,
        {
            "action": "driver_save",
            "driver": str(driver.public_id),
            "name": "Pak Budi",
            "shift_start": "10:00",
            "shift_end": "18:00",
        },
    )
    driver.refresh_from_db()
    assert driver.shift_start == time(10)
    c.post(url, {"action": "driver_off", "driver": str(driver.public_id)})
    assert not Driver.objects.get().is_active
    # another Puskesmas's staff cannot touch this fleet
    o = client_as(other_staff)
    o.post(url, {"action": "vehicle_on", "vehicle": str(car.public_id)})
    assert not TransportVehicle.objects.get().is_active
    page = c.get(url).content.decode()
    assert "Mobil 1" in page and "Pak Budi" in page and "10:00" in page


def test_resident_cancel_tries_are_limited_per_address(puskesmas, monkeypatch):
    from django.core.cache import cache

    from sigap.homecare import views

    cache.clear()
    monkeypatch.setattr(views, "RESIDENT_CANCEL_LIMIT", (2, 3600))
    req = services.create_request(PUBLIC, request_input())
    c = client_as()
    form = {"request_number": str(req.public_id), "nik": "3374014501800009", "reason": "x"}
    assert [c.post("/perawatan-rumah/minta/batal/", form).status_code for _ in range(3)] == [
        404, 404, 429,
    ]  # fmt: skip
    assert c.post("/perawatan-rumah/minta/batal/", form | {"nik": NIK}).status_code == 429
    assert HomecareRequest.objects.get(pk=req.pk).status == "submitted"
    cache.clear()
