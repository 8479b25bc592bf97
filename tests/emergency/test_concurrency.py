"""Two dispatchers assigning the same ambulance at the same moment: exactly one succeeds.

Runs on SQLite and on PostgreSQL:
    DATABASE_URL=postgres://... python -m pytest tests/emergency -m concurrency
"""

import pytest

from sigap.core.errors import Conflict
from sigap.core.services import Actor
from sigap.emergency import services
from sigap.emergency.models import Assignment, Incident, Unit, UnitStatusChange
from tests.helpers import run_together

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("dispatchers", [2, 4])
def test_same_unit_to_different_incidents_exactly_one_wins(users, call, make_unit, dispatchers):
    unit = make_unit("AMB-1")
    incidents = [
        call(caller_phone=f"08{i:09d}", latitude=-6.98 - i * 0.01) for i in range(dispatchers)
    ]
    disp = [users["dispatcher"], users["dispatcher2"]]

    def work(i: int):
        u = Unit.objects.get(pk=unit.pk)  # each read it as available
        return services.assign_unit(Actor(user=disp[i % 2], channel="web"), incidents[i], u)

    results = run_together(dispatchers, work, who="a dispatcher")
    wins = [r for r in results if isinstance(r, Assignment)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == dispatchers - 1, results
    assert all(e.status == 409 and e.code == "unit_taken" and "AMB-1" in e.message for e in losses)
    assert Assignment.objects.count() == 1
    assert Unit.objects.get(pk=unit.pk).status == "dispatched"
    assert UnitStatusChange.objects.filter(unit=unit).count() == 1
    # the losers' incidents are still waiting in the queue
    assert Incident.objects.filter(status="open").count() == dispatchers - 1


def test_crew_and_dispatcher_moving_the_unit_at_once(users, call, make_unit):
    unit = make_unit("AMB-2")
    unit.crew.add(users["crew"])
    inc = call()
    a = services.assign_unit(Actor(user=users["dispatcher"], channel="web"), inc, unit)
    services.accept_assignment(Actor(user=users["crew"], channel="web"), a)

    def work(i: int):
        u = Unit.objects.get(pk=unit.pk)
        if i == 0:
            return services.crew_status(Actor(user=users["crew"], channel="web"), u, "en_route")
        a = Assignment.objects.get(unit=u, status="active")
        return services.cancel_assignment(Actor(user=users["dispatcher"], channel="web"), a)

    results = run_together(2, work, who="a dispatcher")
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, Conflict) for e in errors), errors
    u = Unit.objects.get(pk=unit.pk)
    history = list(UnitStatusChange.objects.filter(unit=u).values_list("to_status", flat=True))
    assert history[-1] == u.status
    assert Assignment.objects.filter(status="active").count() == (
        1 if u.status == "en_route" else 0
    )


@pytest.mark.parametrize("presses", [2, 4])
def test_one_sos_press_sent_several_times_at_once_is_one_incident(area, presses):
    """The page's idempotency key: requests with the same key at the same moment open one
    incident; every one of them answers that incident."""

    def work(i: int):
        return services.submit_sos(
            Actor(user=None, channel="sos", label="sos"),
            services.IncidentInput(
                latitude=-6.981,
                longitude=110.413,
                caller_phone="081234567890",
                notes="2 orang luka berat",
                idempotency_key="one-press-0001",
            ),
        )

    results = run_together(presses, work, who="an SOS request")
    assert all(isinstance(r, tuple) for r in results), results
    assert sum(1 for _inc, created in results if created) == 1
    assert len({inc.pk for inc, _created in results}) == 1
    assert Incident.objects.count() == 1
    assert Incident.objects.get().triage == "merah"
