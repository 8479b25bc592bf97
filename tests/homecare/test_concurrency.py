"""Concurrent writers on home-care data: planners of the same day, workers pressing start on
the same visit, other capabilities sending the same case twice.

Runs on SQLite (WAL, IMMEDIATE transactions) and on PostgreSQL (row locks, unique keys)."""

from datetime import date, time

import pytest

from sigap.core.errors import Conflict
from sigap.core.services import Actor
from sigap.homecare import services
from sigap.homecare.models import CarePlan, DayPlan, HomecareRequest, TargetGroup, Visit, Worker
from tests.helpers import run_together

from .conftest import request_input

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
DAY = date(2026, 3, 10)


def _plans(actor, n):
    out = []
    for i in range(n):
        req = services.create_request(
            Actor(None, "web"), request_input(nik=f"33740145018000{i + 1:02d}")
        )
        checklist = TargetGroup.objects.get(code="lansia_imobil").checklist
        services.decide_eligibility(actor, req, target_group="lansia_imobil",
                                    answers={c: True for c in checklist})  # fmt: skip
        out.append(services.create_care_plan(actor, req, services.CarePlanInput(
            7, "nurse", 30, time(8), time(14), 2, DAY)))  # fmt: skip
    return out


def test_concurrent_planners_of_one_day(actor, roster, puskesmas):
    plans = _plans(actor, 3)
    results = run_together(3, lambda i: services.plan_facility(
        actor, puskesmas["miroto"], DAY, seconds=0.3), who="a writer")  # fmt: skip
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, Conflict) for e in errors), errors
    assert len(errors) < 3
    # one visit per care plan and day, each planned once, and one day plan
    assert Visit.objects.filter(date=DAY).count() == len(plans)
    assert set(Visit.objects.values_list("status", flat=True)) == {"planned"}
    assert DayPlan.objects.get().version == 3 - len(errors)


def test_two_presses_on_start_one_wins(actor, roster, puskesmas):
    _plans(actor, 1)
    services.plan_facility(actor, puskesmas["miroto"], DAY, seconds=0.3)
    visit = Visit.objects.get()
    nurse = Actor(roster["nurse"].user, "web")
    results = run_together(
        4, lambda i: services.start_visit(nurse if i % 2 else actor, visit), who="a writer"
    )
    wins = [r for r in results if isinstance(r, Visit)]
    assert len(wins) == 1, results
    assert all(isinstance(r, Conflict) for r in results if r not in wins)
    assert Visit.objects.get().status == "started"


def test_same_case_sent_twice_makes_one_request(puskesmas):
    system = Actor.system("nutrition")
    results = run_together(4, lambda i: services.create_request(
        system, request_input(), source="nutrition", source_ref="kasus-42"),
        who="a writer")  # fmt: skip
    assert all(isinstance(r, HomecareRequest) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert HomecareRequest.objects.count() == 1


def test_two_coordinators_pause_one_plan_one_wins(actor, roster, puskesmas):
    (plan,) = _plans(actor, 1)
    results = run_together(
        3, lambda i: services.pause_care_plan(actor, plan, f"alasan {i}"), who="a writer"
    )
    wins = [r for r in results if isinstance(r, CarePlan)]
    assert len(wins) == 1, results
    assert all(isinstance(r, Conflict) for r in results if r not in wins)
    assert CarePlan.objects.get().status == "paused"


def test_two_presses_on_deactivate_one_wins(actor, roster, puskesmas):
    nurse = roster["nurse"]
    results = run_together(
        3, lambda i: services.set_worker_active(actor, nurse, False, "pindah"), who="a writer"
    )
    wins = [r for r in results if isinstance(r, Worker)]
    assert len(wins) == 1, results
    assert all(isinstance(r, Conflict) for r in results if r not in wins)


def test_a_burst_of_identical_public_requests_makes_one(puskesmas):
    """The issue's 30 identical requests in 0.3 s: one row, every caller answered with it."""
    results = run_together(
        6, lambda i: services.create_request(Actor(None, "web"), request_input()), who="a writer"
    )
    assert all(isinstance(r, HomecareRequest) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert HomecareRequest.objects.count() == 1
