"""Two quota runs (or two identical imports) at the same instant: exactly one succeeds.

Runs on SQLite (WAL, IMMEDIATE transactions) and on PostgreSQL (the unique constraint):
    DATABASE_URL=postgres://... python -m pytest tests/coverage -m concurrency
"""

from datetime import date

import pytest

from sigap.core.errors import Conflict
from sigap.core.services import Actor
from sigap.coverage import services
from sigap.coverage.models import Enrolment, QuotaRun, Snapshot
from tests.helpers import run_together

from .conftest import KEL_A, POP_HEADER, TODAY, person, write_csv

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
MAY = date(2026, 5, 1)
THREADS = 4


@pytest.fixture
def population(semarang, tmp_path):
    rows = [person("337401", date(1990, 1, 1 + i), 100 + i, KEL_A) for i in range(20)]
    path = write_csv(tmp_path / "p.csv", POP_HEADER, rows)
    services.import_snapshot(Actor.system("test"), "population", path, MAY, today=TODAY)
    return path


def test_two_runs_for_the_same_month_take_the_slots_once(population):
    def work(i: int):
        return services.run_quota(Actor.system(f"run-{i}"), MAY, area_code="3374", quota=15,
                                  today=TODAY)  # fmt: skip

    results = run_together(THREADS, work, who="a run")
    runs = [r for r in results if isinstance(r, QuotaRun)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(runs) == 1 and len(refused) == THREADS - 1, results
    assert QuotaRun.objects.count() == 1
    assert Enrolment.objects.count() == 15
    assert Enrolment.objects.values("nik").distinct().count() == 15


def test_the_same_snapshot_imported_twice_at_once_is_one_snapshot(semarang, tmp_path):
    rows = [person("337401", date(1990, 1, 1 + i), 100 + i, KEL_A) for i in range(5)]
    path = write_csv(tmp_path / "p.csv", POP_HEADER, rows)

    def work(i: int):
        return services.import_snapshot(Actor.system(f"imp-{i}"), "population", path, MAY,
                                        today=TODAY)  # fmt: skip

    results = run_together(2, work, who="a run")
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.created for r in results) == [False, True]
    assert Snapshot.objects.count() == 1


def test_two_confirmations_of_a_held_snapshot_apply_it_once(semarang, tmp_path):
    """Issue 17: two analysts confirm the same held membership list at once."""
    from sigap.core.models import AuditEvent
    from sigap.coverage.models import Membership

    from .conftest import MEM_HEADER

    people = [person("337401", date(1990, 1, 1 + i), 100 + i, KEL_A) for i in range(20)]
    system = Actor.system("test")
    services.import_snapshot(system, "population", write_csv(tmp_path / "p.csv", POP_HEADER,
                             people), MAY, today=TODAY)  # fmt: skip
    members = [[p[0], "", "PPU", "1", "", "", ""] for p in people]
    services.import_snapshot(system, "membership", write_csv(tmp_path / "m5.csv", MEM_HEADER,
                             members), MAY, today=TODAY)  # fmt: skip
    held = services.import_snapshot(system, "membership", write_csv(tmp_path / "m6.csv",
                                    MEM_HEADER, members[:5]), date(2026, 6, 1),
                                    today=TODAY).snapshot  # fmt: skip
    assert held.status == "held"

    def work(i: int):
        return services.confirm_snapshot(Actor.system(f"analyst-{i}"), held)

    results = run_together(THREADS, work, who="a confirmation")
    done = [r for r in results if isinstance(r, Snapshot)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(done) == 1 and len(refused) == THREADS - 1, results
    assert Membership.objects.count() == 5
    assert AuditEvent.objects.filter(action="coverage.snapshot.confirm").count() == 1
