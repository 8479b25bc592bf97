"""sigap.core.workflow: the one way every app moves a status."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from sigap.core.errors import Conflict, InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.core.workflow import Workflow
from sigap.coverage.models import Enrolment, EnrolmentStatus, QuotaRun

pytestmark = pytest.mark.django_db

E = EnrolmentStatus
FLOW = Workflow.of(
    "test.enrolment",
    Enrolment,
    {E.PROPOSED: (E.SUBMITTED, E.CANCELLED), E.SUBMITTED: (E.ACTIVATED, E.REJECTED)},
)
RUNS = Workflow.of_actions(
    "test.run", QuotaRun, {"cancel": ((QuotaRun.Status.DONE,), QuotaRun.Status.CANCELLED)}
)
ACTOR = Actor.system("test")


def _run(period: date = date(2026, 11, 1)) -> QuotaRun:
    return QuotaRun.objects.create(period=period, quota=10, premium=42000)


def _enrolments(run: QuotaRun, statuses: list[str]) -> list[Enrolment]:
    return [
        Enrolment.objects.create(
            run=run,
            nik=f"33740145019000{i:02d}",
            kelurahan_code="3374011001",
            rank=i,
            score=1,
            status=s,
        )  # fmt: skip
        for i, s in enumerate(statuses)
    ]


def test_the_table():
    assert FLOW.can(E.PROPOSED, E.SUBMITTED) and not FLOW.can(E.ACTIVATED, E.PROPOSED)
    assert FLOW.sources(E.CANCELLED) == [E.PROPOSED]
    assert FLOW.states() == {E.PROPOSED, E.SUBMITTED, E.CANCELLED, E.ACTIVATED, E.REJECTED}
    assert FLOW.next_states(E.ACTIVATED) == frozenset()
    assert RUNS.target_of("cancel", QuotaRun.Status.DONE) == QuotaRun.Status.CANCELLED


def test_a_move_writes_the_row_and_one_audit_record():
    (e,) = _enrolments(_run(), [E.PROPOSED])
    moved = FLOW.move(ACTOR, e, E.SUBMITTED, reason="list sent")
    assert (moved.before, moved.after) == (E.PROPOSED, E.SUBMITTED)
    e.refresh_from_db()
    assert e.status == E.SUBMITTED
    audit = AuditEvent.objects.get(action="test.enrolment.submitted")
    assert audit.before == {"status": E.PROPOSED}
    assert audit.after == {"status": E.SUBMITTED, "reason": "list sent"}


def test_an_illegal_move_is_a_conflict_and_writes_nothing():
    (e,) = _enrolments(_run(), [E.ACTIVATED])
    with pytest.raises(Conflict) as err:
        FLOW.move(ACTOR, e, E.PROPOSED)
    assert err.value.status == 409 and err.value.code == "illegal_transition"
    e.refresh_from_db()
    assert e.status == E.ACTIVATED and not AuditEvent.objects.exists()


def test_a_stale_row_loses_with_a_conflict():
    (e,) = _enrolments(_run(), [E.PROPOSED])
    Enrolment.objects.filter(pk=e.pk).update(status=E.CANCELLED)  # someone else moved it
    with pytest.raises(Conflict) as err:
        FLOW.move(ACTOR, e, E.SUBMITTED, stale="already gone")
    assert err.value.code == "stale" and str(err.value) == "already gone"
    assert Enrolment.objects.get(pk=e.pk).status == E.CANCELLED


def test_where_conditions_must_still_hold():
    run = _run()
    (e,) = _enrolments(run, [E.PROPOSED])
    with pytest.raises(Conflict):
        FLOW.move(ACTOR, e, E.SUBMITTED, where={"kelurahan_code": "9999999999"})
    assert Enrolment.objects.get(pk=e.pk).status == E.PROPOSED


def test_a_named_action_and_its_audit_name():
    run = _run()
    RUNS.move(ACTOR, run, action="cancel", reason="salah bulan")
    assert QuotaRun.objects.get(pk=run.pk).status == QuotaRun.Status.CANCELLED
    assert AuditEvent.objects.filter(action="test.run.cancel").count() == 1
    with pytest.raises(Conflict):
        RUNS.move(ACTOR, run, action="cancel")


def test_move_many_moves_only_rows_that_may_go_there():
    rows = _enrolments(_run(), [E.PROPOSED, E.PROPOSED, E.SUBMITTED, E.ACTIVATED])
    moved = FLOW.move_many(ACTOR, Enrolment.objects.all(), E.CANCELLED, reason="batal")
    assert sorted(m.pk for m in moved) == sorted(r.pk for r in rows[:2])
    assert {m.before for m in moved} == {E.PROPOSED}
    statuses = sorted(Enrolment.objects.values_list("status", flat=True))
    assert statuses == sorted([E.CANCELLED, E.CANCELLED, E.SUBMITTED, E.ACTIVATED])
    audit = AuditEvent.objects.get(action="test.enrolment.cancelled")
    assert audit.after["moved"] == 2


def test_move_many_from_several_states_and_to_nowhere():
    _enrolments(_run(), [E.SUBMITTED, E.PROPOSED])
    assert FLOW.move_many(ACTOR, Enrolment.objects.all(), E.PROPOSED) == []
    with pytest.raises(InvalidInput):
        FLOW.move_many(ACTOR, Enrolment.objects.all(), "teleported")
    assert len(FLOW.move_many(ACTOR, Enrolment.objects.all(), E.ACTIVATED)) == 1


def test_a_move_needs_a_target():
    (e,) = _enrolments(_run(), [E.PROPOSED])
    with pytest.raises(TypeError):
        FLOW.move(ACTOR, e)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_racing_movers_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency needs PostgreSQL")
    (e,) = _enrolments(_run(), [E.PROPOSED])
    barrier = threading.Barrier(2)
    results: list[str] = []

    def mover(to: str) -> None:
        obj = Enrolment.objects.get(pk=e.pk)
        barrier.wait()
        try:
            FLOW.move(ACTOR, obj, to)
            results.append("won")
        except Conflict:
            results.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=mover, args=(to,)) for to in (E.SUBMITTED, E.CANCELLED)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["lost", "won"]
    assert AuditEvent.objects.filter(action__startswith="test.enrolment.").count() == 1


def test_an_anonymous_workflow_keeps_the_row_out_of_the_audit_label():
    """Rows whose str() names a person (a home-care request, a visit) are labelled
    "<model> <pk>" in the audit trail."""
    quiet = Workflow.of("test.enrolment", Enrolment, FLOW.graph, anonymous=True)
    (e,) = _enrolments(_run(), [E.PROPOSED])
    quiet.move(ACTOR, e, E.SUBMITTED)
    assert AuditEvent.objects.get().object_label == f"enrolment {e.pk}"
    (f,) = _enrolments(_run(date(2026, 10, 1)), [E.PROPOSED])
    FLOW.move(ACTOR, f, E.SUBMITTED)
    assert AuditEvent.objects.latest("pk").object_label == str(f)
