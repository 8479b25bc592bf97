"""Two people at once: taking the same severe case, recording the same child's visits, moving
the same death review. Runs on SQLite and PostgreSQL:
    DATABASE_URL=postgres://... python -m pytest tests/nutrition -m concurrency
"""

from datetime import date

import pytest

from sigap.core.errors import Conflict, InvalidInput
from sigap.core.services import Actor
from sigap.facilities.models import FacilityOperator
from sigap.nutrition import services
from sigap.nutrition.models import DeathReview, GrowthMonthly, Measurement, NutritionCase
from tests.helpers import run_together

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
THREADS = 4


def test_one_of_several_staff_takes_a_case(make_child, staff_actor, make_user, facilities):
    child = make_child(birth_date=date(2025, 1, 1))
    services.record_measurement(
        staff_actor, child, services.MeasurementInput(date(2025, 10, 1), 6.0, 72.0, "L")
    )
    case = NutritionCase.objects.get()
    users = []
    for i in range(THREADS):
        u = make_user(f"kader-{i}", "puskesmas_staff", area_code="3374")
        FacilityOperator.objects.create(user=u, facility=facilities["pkm1"])
        users.append(u)
    results = run_together(
        THREADS, lambda i: services.take_case(Actor(user=users[i], channel="test"), case)
    )
    wins = [r for r in results if isinstance(r, NutritionCase)]
    assert len(wins) == 1, results
    assert all(isinstance(r, Conflict) for r in results if r not in wins), results
    case.refresh_from_db()
    assert case.owner == wins[0].owner


def test_concurrent_visits_of_one_child(make_child, staff_actor):
    """Severe visits recorded at once by several staff: every visit stored, one open case,
    the child counted once in the month (by its last visit), whatever the commit order."""
    child = make_child(birth_date=date(2025, 1, 1))
    days = [date(2025, 10, 1 + i) for i in range(THREADS)]
    results = run_together(
        THREADS,
        lambda i: services.record_measurement(
            staff_actor, child, services.MeasurementInput(days[i], 6.0, 72.0, "L")
        ),
    )
    assert all(isinstance(r, Measurement) for r in results), results
    assert Measurement.objects.filter(child=child).count() == THREADS
    assert NutritionCase.objects.filter(child=child, status="open").count() == 1
    cell = GrowthMonthly.objects.get(month=date(2025, 10, 1))
    assert cell.measured == 1 and cell.severely_wasted == 1
    counted = Measurement.objects.filter(child=child, counts_in_month=True)
    assert list(counted.values_list("measured_on", flat=True)) == [days[-1]]


def test_one_review_transition_wins(staff_actor, analyst):
    d = services.register_death(staff_actor, services.DeathInput(
        kind="infant", died_on=date(2026, 1, 20), birth_date=date(2026, 1, 2),
        kelurahan_code="3374011001"))  # fmt: skip
    review = d.review
    actor = Actor(user=analyst, channel="test")
    results = run_together(
        THREADS,
        lambda i: services.move_review(
            actor, review, "reviewed", findings=f"temuan {i}", expected="pending"
        ),
    )
    ok = [r for r in results if isinstance(r, DeathReview)]
    assert len(ok) == 1, results
    assert all(isinstance(r, Conflict | InvalidInput) for r in results if r not in ok)
