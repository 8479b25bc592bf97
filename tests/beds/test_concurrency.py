"""Concurrent writers on the same room, through the one service every channel uses.

Runs on SQLite (WAL, IMMEDIATE transactions) and on PostgreSQL (row locks and the unique key):
    DATABASE_URL=postgres://... python -m pytest tests/beds -m concurrency
"""

from collections import Counter

import pytest

from sigap.beds import services
from sigap.beds.models import BedUpdate, BoardState, Room
from sigap.core.errors import Conflict
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from tests.helpers import run_together

pytestmark = [
    pytest.mark.concurrency,
    # Real transactions in real threads; the reference data (bed classes, board state) is
    # restored for each test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 4
ROUNDS = 6


def report(code: str, capacity: int, free: int, **kw) -> services.RoomInput:
    return services.RoomInput(bed_class="KL3", code=code, name=f"Ruang {code}",
                              capacity=capacity, free=free, **kw)  # fmt: skip


def version() -> int:
    return BoardState.objects.get(id=1).version


def test_operators_updating_the_same_room_leave_a_consistent_row(make_hospital):
    hospital = make_hospital()
    services.upsert_room(Actor.system(), hospital, report("K1", 30, 10), source="api")
    room_id = Room.objects.get().pk
    v0, history0 = version(), BedUpdate.objects.count()

    def work(i: int) -> list[str]:
        actor = Actor.system(f"operator-{i}")
        outcomes = []
        for j in range(ROUNDS):
            # Overlapping values, so some reports repeat what another thread just stored.
            data = report("K1", 30, (i * 3 + j) % 12, waiting=j % 3, preparing=(i + j) % 2)
            outcomes.append(services.upsert_room(actor, hospital, data, source="api").outcome)
        return outcomes

    results = run_together(THREADS, work, who="a writer")
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    outcomes = Counter(o for r in results for o in r)
    assert set(outcomes) <= {"updated", "unchanged"}
    assert sum(outcomes.values()) == THREADS * ROUNDS

    room = Room.objects.get()
    assert room.pk == room_id and Room.objects.count() == 1
    assert 0 <= room.free <= room.capacity - room.reserved - room.preparing
    # One history row (and one audit record) per real change, none for a repeat.
    updates = BedUpdate.objects.filter(kind="update")
    assert updates.count() == outcomes["updated"] == BedUpdate.objects.count() - history0
    assert AuditEvent.objects.filter(action="bed.room.update").count() == outcomes["updated"]
    # The newest history row is the room as it stands.
    last = BedUpdate.objects.order_by("-at", "-id").first()
    assert last == BedUpdate.objects.order_by("-id").first()
    assert (last.capacity, last.free, last.reserved, last.waiting, last.preparing) == (
        room.capacity, room.free, room.reserved, room.waiting, room.preparing,
    )  # fmt: skip
    assert room.changed_at == last.at
    # The board version moved once per call, lost updates would show here.
    assert version() == v0 + THREADS * ROUNDS


def test_concurrent_quick_edits_of_different_numbers_are_not_lost(make_hospital):
    """Each operator changes one number through update_counts (read, modify, write): with the
    row lock every change is applied to the latest row, never to a stale copy."""
    hospital = make_hospital()
    services.upsert_room(Actor.system(), hospital, report("K2", 40, 20), source="api")
    v0 = version()

    def work(i: int):
        room = Room.objects.get(code="K2")
        field = ("waiting", "reserved")[i % 2]
        return services.update_counts(Actor.system(f"op-{i}"), room, source="operator",
                                      **{field: i + 1}).outcome  # fmt: skip

    results = run_together(2, work, who="a writer")
    assert not [r for r in results if isinstance(r, Exception)], results
    room = Room.objects.get()
    last = BedUpdate.objects.order_by("-id").first()
    assert (last.free, last.reserved, last.waiting) == (room.free, room.reserved, room.waiting)
    assert version() == v0 + 2


def test_concurrent_creators_of_the_same_room_make_exactly_one(make_hospital):
    hospital = make_hospital()
    v0 = version()

    def work(i: int) -> str:
        data = report("BARU", 10, i + 1)
        return services.upsert_room(Actor.system(f"bridge-{i}"), hospital, data,
                                    source="aplicare").outcome  # fmt: skip

    results = run_together(THREADS, work, who="a writer")
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    assert not unexpected, unexpected
    outcomes = Counter(r if isinstance(r, str) else "conflict" for r in results)
    assert outcomes["created"] == 1, outcomes
    assert set(outcomes) <= {"created", "updated", "unchanged", "conflict"}
    assert Room.objects.filter(facility=hospital, code="BARU").count() == 1
    assert BedUpdate.objects.filter(kind="create").count() == 1
    assert BedUpdate.objects.filter(kind="update").count() == outcomes["updated"]
    room = Room.objects.get()
    last = BedUpdate.objects.order_by("-at", "-id").first()
    assert (last.capacity, last.free) == (room.capacity, room.free)
    # A refused (conflicting) call leaves no trace, not even a version bump.
    assert version() == v0 + THREADS - outcomes["conflict"]


def test_concurrent_create_only_calls_give_one_success(make_hospital):
    """Aplicare's bed/create from two bridges at once: one room, the other is refused."""
    hospital = make_hospital()

    def work(i: int) -> str:
        data = report("DUA", 8, 2)
        return services.upsert_room(Actor.system(f"bridge-{i}"), hospital, data,
                                    source="aplicare", mode="create").outcome  # fmt: skip

    results = run_together(2, work, who="a writer")
    assert sorted(r if isinstance(r, str) else type(r).__name__ for r in results) == [
        "Conflict", "created"
    ]  # fmt: skip
    assert Room.objects.count() == 1 and BedUpdate.objects.count() == 1
