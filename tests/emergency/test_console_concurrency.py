"""Two dispatchers swapping their incidents' units to the same free ambulance at the same
moment: exactly one swap happens, the other answers 409 `unit_taken` and keeps its unit.

Runs on SQLite and on PostgreSQL (DATABASE_URL=postgres://...)."""

import pytest

from sigap.core.errors import Conflict
from sigap.core.services import Actor
from sigap.emergency import services
from sigap.emergency.models import Assignment, Unit
from tests.helpers import run_together

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_dispatchers_swap_to_the_same_unit_exactly_one_wins(users, call, make_unit):
    first, second, free = make_unit("GD-1"), make_unit("GD-2"), make_unit("GD-FREE")
    disp = [
        Actor(user=users["dispatcher"], channel="web"),
        Actor(user=users["dispatcher2"], channel="web"),
    ]
    jobs = []
    for i, unit in enumerate((first, second)):
        inc = call(caller_phone=f"0812000000{i}", latitude=-6.98 - i * 0.01)
        jobs.append(services.assign_unit(disp[i], inc, unit))

    def work(i: int):
        a = Assignment.objects.get(pk=jobs[i].pk)
        return services.reassign(disp[i], a, Unit.objects.get(pk=free.pk))

    results = run_together(2, work, who="a dispatcher")
    wins = [r for r in results if isinstance(r, Assignment)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], Conflict) and losses[0].code == "unit_taken"
    assert Assignment.objects.filter(unit=free, status="active").count() == 1
    # the loser kept its unit and its assignment; the winner's old unit is free again
    loser = 1 if wins[0].incident_id == jobs[0].incident_id else 0
    assert Assignment.objects.get(pk=jobs[loser].pk).status == "active"
    assert Assignment.objects.get(pk=jobs[1 - loser].pk).status == "cancelled"
    assert Assignment.objects.filter(status="active").count() == 2
    statuses = dict(Unit.objects.values_list("code", "status"))
    assert statuses["GD-FREE"] == "dispatched"
    assert sorted([statuses["GD-1"], statuses["GD-2"]]) == ["available", "dispatched"]
