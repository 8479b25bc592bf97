"""The crew phone's accept step, destination, Siaga rule, vital signs and idempotent presses,
and the receiving emergency room's clinical summary with its arrival estimate."""

import json

import pytest
from django.test import Client

from sigap.core.errors import Conflict, InvalidInput
from sigap.core.models import AuditEvent
from sigap.emergency import selectors, services
from sigap.emergency.models import CrewVitals, Unit, UnitStatusChange
from sigap.facilities.models import FacilityOperator

from .conftest import actor


@pytest.fixture
def job(users, call, make_unit, make_hospital):
    """A unit sent to a red medical call, its crew, and a hospital for the patient."""
    unit = make_unit("AMB-K1")
    unit.crew.add(users["crew"])
    inc = call(triage_answers={"tidak_sadar": True}, notes="Pria 60 th, nyeri dada")
    a = services.assign_unit(actor(users["dispatcher"]), inc, unit)
    hospital = make_hospital("RS Uji Satu", lat=-6.99, lon=110.42)
    return {"unit": unit, "incident": inc, "assignment": a, "hospital": hospital}


def crew(users):
    return actor(users["crew"])


def handoff(users, job):
    return services.create_handoff(
        actor(users["dispatcher"]), job["incident"], job["hospital"], summary="Curiga infark"
    )


# --- accept -------------------------------------------------------------------------------


def test_crew_must_accept_before_moving_and_accepting_twice_keeps_the_first_time(users, job):
    unit, a = job["unit"], job["assignment"]
    with pytest.raises(Conflict) as exc:
        services.crew_status(crew(users), unit, "en_route")
    assert exc.value.code == "not_accepted"
    assert selectors.crew_job(unit)["next"] == []  # nothing offered before accepting
    first = services.accept_assignment(crew(users), a)
    assert first.accepted_at is not None
    again = services.accept_assignment(crew(users), a)
    assert again.accepted_at == first.accepted_at
    assert AuditEvent.objects.filter(action="emergency.assignment.accept").count() == 1
    # the dispatcher reads it on the unit
    row = next(u for u in selectors.units_json("3374") if u["code"] == unit.code)
    assert row["accepted_at"] and "diterima kru" in row["status_label"]
    services.crew_status(crew(users), unit, "en_route")
    assert Unit.objects.get(pk=unit.pk).status == "en_route"


def test_an_ended_assignment_cannot_be_accepted(users, job):
    services.cancel_assignment(actor(users["dispatcher"]), job["assignment"], reason="salah")
    with pytest.raises(Conflict):
        services.accept_assignment(crew(users), job["assignment"])


# --- destination and Siaga ----------------------------------------------------------------


def test_no_transport_without_a_destination_and_the_crew_confirms_it(users, job):
    unit = job["unit"]
    services.accept_assignment(crew(users), job["assignment"])
    services.crew_status(crew(users), unit, "on_scene")
    assert "transporting" not in selectors.crew_job(unit)["next"]
    with pytest.raises(Conflict) as exc:
        services.crew_status(crew(users), unit, "transporting")
    assert exc.value.code == "no_destination"
    h = handoff(users, job)
    with pytest.raises(InvalidInput) as exc:  # the crew has not confirmed it
        services.crew_status(crew(users), unit, "transporting")
    assert exc.value.field == "destination"
    with pytest.raises(Conflict):  # a destination that is not (any more) the hospital
        services.crew_status(crew(users), unit, "transporting", destination="x")
    assert Unit.objects.get(pk=unit.pk).status == "on_scene"
    job_ = selectors.crew_job(unit)["job"]
    assert job_["hospital"]["id"] == str(h.hospital.public_id)
    services.crew_status(crew(users), unit, "transporting", destination=job_["hospital"]["id"])
    assert Unit.objects.get(pk=unit.pk).status == "transporting"


@pytest.mark.parametrize("stage", ["dispatched", "en_route", "on_scene"])
def test_siaga_is_neither_offered_nor_accepted_while_assigned(users, job, stage):
    unit = job["unit"]
    services.accept_assignment(crew(users), job["assignment"])
    for to in ["en_route", "on_scene"][: ["dispatched", "en_route", "on_scene"].index(stage)]:
        services.crew_status(crew(users), unit, to)
    assert "available" not in selectors.crew_job(unit)["next"]
    before = UnitStatusChange.objects.count()
    with pytest.raises(Conflict) as exc:
        services.crew_status(crew(users), unit, "available")
    assert exc.value.code == "assigned"
    assert UnitStatusChange.objects.count() == before
    assert Unit.objects.get(pk=unit.pk).status == stage


def test_siaga_after_the_job_ends(users, job):
    unit = job["unit"]
    services.accept_assignment(crew(users), job["assignment"])
    services.crew_status(crew(users), unit, "on_scene")
    services.crew_status(crew(users), unit, "returning")
    assert "available" in selectors.crew_job(unit)["next"]
    services.crew_status(crew(users), unit, "available")
    assert Unit.objects.get(pk=unit.pk).status == "available"


def test_the_same_press_sent_twice_moves_once(users, job):
    unit = job["unit"]
    services.accept_assignment(crew(users), job["assignment"])
    services.crew_status(crew(users), unit, "en_route", client_key="k-1")
    again = services.crew_status(
        crew(users), Unit.objects.get(pk=unit.pk), "en_route", client_key="k-1"
    )
    assert again.status == "en_route"
    assert UnitStatusChange.objects.filter(client_key="k-1").count() == 1
    with pytest.raises(InvalidInput):
        services.crew_status(crew(users), unit, "on_scene", client_key="x" * 65)


# --- vital signs --------------------------------------------------------------------------


def vitals(**kw):
    return services.VitalsInput(**kw)


def test_vitals_recorded_audited_and_replayed_once(users, job):
    unit = job["unit"]
    v = services.record_vitals(
        crew(users),
        unit,
        vitals(
            systolic=150, diastolic=95, pulse=110, respiration=24, spo2=91, temperature=37.46,
            gcs=14, avpu="V", note="Nyeri dada kiri", client_key="v-1",
        ),
    )  # fmt: skip
    assert str(v.temperature) == "37.5" and v.incident == job["incident"]
    same = services.record_vitals(crew(users), unit, vitals(pulse=50, client_key="v-1"))
    assert same.pk == v.pk and CrewVitals.objects.count() == 1
    assert AuditEvent.objects.filter(action="emergency.vitals.record").count() == 1
    shown = selectors.crew_job(unit)["job"]["vitals"]
    assert {"label": "Tekanan darah", "value": "150/95 mmHg"} in shown["values"]
    assert shown["note"] == "Nyeri dada kiri"


@pytest.mark.parametrize(
    "data,field",
    [
        ({"systolic": 80, "diastolic": 120}, "diastolic"),  # swapped
        ({"systolic": 120, "diastolic": 120}, "diastolic"),  # equal
        ({"systolic": 120}, "diastolic"),  # one without the other
        ({"pulse": 251}, "pulse"),
        ({"pulse": 24}, "pulse"),
        ({"spo2": 101}, "spo2"),
        ({"temperature": 43.1}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"respiration": 4}, "respiration"),
        ({"gcs": 2}, "gcs"),
        ({"gcs": 16}, "gcs"),
        ({"gcs": 9.5}, "gcs"),
        ({"gcs": True}, "gcs"),
        ({"avpu": "X"}, "avpu"),
        ({}, "systolic"),  # nothing at all
        ({"note": "a\x00b"}, "note"),
        ({"note": "x" * 501}, "note"),
    ],
)
def test_implausible_vitals_are_refused_and_nothing_is_written(users, job, data, field):
    with pytest.raises(InvalidInput) as exc:
        services.record_vitals(crew(users), job["unit"], vitals(**data))
    assert exc.value.field == field
    assert CrewVitals.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"systolic": 50, "diastolic": 30},
        {"systolic": 260, "diastolic": 159},
        {"pulse": 25, "spo2": 50, "gcs": 3, "temperature": 30},
        {"pulse": 250, "spo2": 100, "gcs": 15, "temperature": 43, "respiration": 70},
        {"note": "hanya catatan"},
        {"avpu": "U"},
    ],
)
def test_vitals_at_the_edges_of_the_ranges_are_kept(users, job, data):
    services.record_vitals(crew(users), job["unit"], vitals(**data))
    assert CrewVitals.objects.count() == 1


def test_vitals_need_a_job_and_the_units_crew(users, job, make_user, make_unit):
    idle = make_unit("AMB-K2")
    idle.crew.add(users["crew"])
    with pytest.raises(Conflict):
        services.record_vitals(crew(users), idle, vitals(pulse=80))
    stranger = make_user("crew2", "ambulance_crew", area_code="3374")
    with pytest.raises(Exception) as exc:
        services.record_vitals(actor(stranger), job["unit"], vitals(pulse=80))
    assert exc.value.status == 403
    assert CrewVitals.objects.count() == 0


# --- the emergency room's summary ---------------------------------------------------------


def test_summary_has_triage_answers_notes_vitals_and_an_eta_that_follows_the_unit(users, job):
    h = handoff(users, job)
    unit = job["unit"]
    services.record_vitals(crew(users), unit, vitals(pulse=120, note="Sesak"))
    s = selectors.handoff_summary(h)
    assert s["triage_label"].startswith("Merah")
    assert s["answers"] and all("_" not in a for a in s["answers"])
    assert s["notes"] == "Pria 60 th, nyeri dada"
    assert s["vitals"]["note"] == "Sesak"
    far = s["eta"]["minutes"]
    services.update_position(crew(users), unit, -6.989, 110.419)  # next to the hospital
    near = selectors.handoff_summary(h)["eta"]["minutes"]
    assert far is not None and near is not None and near < far
    assert selectors.handoff_summary(h)["eta"]["from"]


# --- API ----------------------------------------------------------------------------------


def _client(user) -> Client:
    c = Client(enforce_csrf_checks=False)
    c.force_login(user)
    return c


def post(c, url, body=None):
    return c.post(url, json.dumps(body or {}), content_type="application/json")


API = "/api/v1/emergency/"


def test_api_accept_status_vitals_and_replay(users, job):
    c = _client(users["crew"])
    unit, a = job["unit"], job["assignment"]
    r = post(c, f"{API}units/{unit.code}/status", {"status": "en_route"})
    assert r.status_code == 409 and r.json()["code"] == "not_accepted"
    r = post(c, f"{API}assignments/{a.public_id}/accept")
    assert r.status_code == 200 and r.json()["accepted_at"]
    assert post(c, f"{API}assignments/{a.public_id}/accept").json() == r.json()
    body = {"status": "en_route", "client_key": "press-1"}
    assert post(c, f"{API}units/{unit.code}/status", body).json()["status"] == "en_route"
    assert post(c, f"{API}units/{unit.code}/status", body).status_code == 200
    assert UnitStatusChange.objects.filter(unit=unit, to_status="en_route").count() == 1
    r = post(c, f"{API}units/{unit.code}/status", {"status": "available"})
    assert r.status_code == 409 and r.json()["field"] == "status"
    r = post(c, f"{API}units/{unit.code}/vitals", {"systolic": 90, "diastolic": 120})
    assert r.status_code == 422 and r.json()["field"] == "diastolic"
    r = post(c, f"{API}units/{unit.code}/vitals", {"pulse": 88, "note": "stabil"})
    assert r.status_code == 201 and r.json()["note"] == "stabil"
    r = post(c, f"{API}units/{unit.code}/vitals", {"gcs": 1e308})
    assert r.status_code == 422


def test_api_summary_only_for_the_receiving_hospitals_operator(
    users, job, make_user, make_hospital
):
    h = handoff(users, job)
    op = make_user("op", "hospital_operator")
    FacilityOperator.objects.create(user=op, facility=job["hospital"])
    other = make_user("op2", "hospital_operator")
    FacilityOperator.objects.create(user=other, facility=make_hospital("RS Lain"))
    r = _client(op).get(f"{API}handoffs/{h.public_id}")
    assert r.status_code == 200
    body = r.json()
    assert body["incident"] == job["incident"].number and body["eta"]["minutes"] is not None
    for stranger in (other, users["dispatcher"], users["crew"]):
        assert _client(stranger).get(f"{API}handoffs/{h.public_id}").status_code == 404
    assert _client(op).get(f"{API}handoffs/00000000-0000-0000-0000-000000000000").status_code == 404
    page = _client(op).get("/gawat-darurat/rs/masuk/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pria 60 th, nyeri dada" in html and "Ringkasan -" not in html
    assert (
        _client(other)
        .get("/gawat-darurat/rs/masuk/")
        .content.decode()
        .count(job["incident"].number)
        == 0
    )


def test_crew_page_forms(users, job):
    c = _client(users["crew"])
    unit, a = job["unit"], job["assignment"]
    page = c.get("/gawat-darurat/kru/").content.decode()
    assert 'id="accept"' in page and 'value="available"' not in page
    r = c.post(
        "/gawat-darurat/kru/",
        {"unit": unit.code, "action": "accept", "assignment": str(a.public_id)},
    )
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.accepted_at is not None
    r = c.post(
        "/gawat-darurat/kru/",
        {
            "unit": unit.code,
            "action": "vitals",
            "systolic": "80",
            "diastolic": "120",
            "client_key": "f1",
        },
    )
    assert r.status_code == 422 and "tertukar" in r.content.decode()
    r = c.post(
        "/gawat-darurat/kru/",
        {"unit": unit.code, "action": "vitals", "pulse": "abc", "client_key": "f2"},
    )
    assert r.status_code == 422
    form = {"unit": unit.code, "status": "en_route", "client_key": "f3"}
    assert c.post("/gawat-darurat/kru/", form).status_code == 302
    assert c.post("/gawat-darurat/kru/", form).status_code == 302
    assert UnitStatusChange.objects.filter(unit=unit, to_status="en_route").count() == 1
    r = c.post("/gawat-darurat/kru/", {"unit": unit.code, "action": "accept", "assignment": "x"})
    assert r.status_code == 404
