from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sigap.core import periodic
from sigap.core.models import PeriodicRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter(monkeypatch):
    calls = []
    monkeypatch.setattr(periodic, "_SWEEPS", {})
    periodic.every(60, name="test.count")(lambda: calls.append(1))
    return calls


def test_a_sweep_runs_once_per_interval(counter):
    now = timezone.now()
    assert periodic.run_due(now) == ["test.count"]
    assert periodic.run_due(now + timedelta(seconds=30)) == []
    assert periodic.run_due(now + timedelta(seconds=61)) == ["test.count"]
    assert len(counter) == 2
    run = PeriodicRun.objects.get(name="test.count")
    assert run.last_ok is True


def test_a_failing_sweep_is_recorded_and_does_not_stop_the_others(monkeypatch):
    calls = []
    monkeypatch.setattr(periodic, "_SWEEPS", {})

    @periodic.every(60, name="a.broken")
    def broken():
        raise RuntimeError("boom")

    periodic.every(60, name="b.fine")(lambda: calls.append(1))
    assert periodic.run_due() == ["a.broken", "b.fine"]
    assert calls == [1]
    assert PeriodicRun.objects.get(name="a.broken").last_ok is False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # db_worker closes it
def test_worker_once_runs_due_sweeps(counter):
    call_command("worker", once=True)
    assert counter == [1]
