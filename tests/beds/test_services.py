import pytest
from django.db import IntegrityError, transaction

from sigap.beds import selectors, services
from sigap.beds.models import BedUpdate, BoardState, Room
from sigap.core.errors import Conflict, InvalidInput, NotFound
from sigap.core.models import AuditEvent


def room(code="R1", cls="KL3", cap=10, free=4, **kw):
    return services.RoomInput(bed_class=cls, code=code, name=f"Ruang {code}", capacity=cap,
                              free=free, **kw)  # fmt: skip


def test_create_update_unchanged_delete(make_hospital, system_actor):
    h = make_hospital()
    c = services.upsert_room(system_actor, h, room(), source="api")
    assert c.outcome == "created"
    assert BedUpdate.objects.count() == 1
    c = services.upsert_room(system_actor, h, room(free=3), source="api")
    assert c.outcome == "updated" and c.room.free == 3
    assert BedUpdate.objects.count() == 2
    v = BoardState.objects.get().version
    # A resent identical report leaves no history and no audit, only confirms freshness.
    audits = AuditEvent.objects.count()
    c = services.upsert_room(system_actor, h, room(free=3), source="api")
    assert c.outcome == "unchanged"
    assert BedUpdate.objects.count() == 2
    assert AuditEvent.objects.count() == audits
    assert BoardState.objects.get().version == v + 1
    services.delete_room(system_actor, h, "KL3", "R1", source="api")
    assert not Room.objects.exists()
    assert BedUpdate.objects.filter(kind="delete").count() == 1
    assert AuditEvent.objects.filter(action="bed.room.delete").count() == 1


def test_audit_records_before_and_after(make_hospital, system_actor):
    h = make_hospital()
    services.upsert_room(system_actor, h, room(free=4), source="api")
    services.upsert_room(system_actor, h, room(free=2), source="api")
    ev = AuditEvent.objects.filter(action="bed.room.update").get()
    assert ev.before["free"] == 4 and ev.after["free"] == 2
    assert ev.actor_label == "test"


@pytest.mark.parametrize(
    "data, field",
    [
        (room(free=11), "free"),
        (room(cls="ZZZ"), "kodekelas"),
        (room(code=" "), "koderuang"),
        (room(free_male=3, free_female=2), "free_male"),
        (room(reserved=7), "reserved"),
        (room(cap=-1), "capacity"),
        (room(cap=10**6, free=1), "capacity"),
    ],
)
def test_bad_reports_are_refused_and_write_nothing(make_hospital, system_actor, data, field):
    h = make_hospital()
    with pytest.raises(InvalidInput) as exc:
        services.upsert_room(system_actor, h, data, source="api")
    assert exc.value.field == field
    assert not Room.objects.exists() and not BedUpdate.objects.exists()
    assert not AuditEvent.objects.exists()


def test_modes_follow_aplicare(make_hospital, system_actor):
    h = make_hospital()
    with pytest.raises(NotFound):
        services.upsert_room(system_actor, h, room(), source="aplicare", mode="update")
    services.upsert_room(system_actor, h, room(), source="aplicare", mode="create")
    with pytest.raises(Conflict):
        services.upsert_room(system_actor, h, room(), source="aplicare", mode="create")


def test_holds_shrink_when_reported_free_leaves_no_room(make_hospital, system_actor):
    h = make_hospital()
    services.upsert_room(system_actor, h, room(cap=10, free=4, reserved=3), source="api")
    # Aplicare does not report holds: they are kept while they fit ...
    c = services.upsert_room(system_actor, h, room(cap=10, free=5), source="aplicare")
    assert c.room.reserved == 3
    # ... and shrink when the reported numbers leave no room for them.
    c = services.upsert_room(system_actor, h, room(cap=10, free=9), source="aplicare")
    assert c.room.reserved == 1


def test_database_enforces_free_plus_reserved_within_capacity(make_hospital, system_actor):
    h = make_hospital()
    c = services.upsert_room(system_actor, h, room(cap=5, free=2), source="api")
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.filter(pk=c.room.pk).update(reserved=4)


def test_board_reflects_updates_and_filters(make_hospital, system_actor, settings):
    near = make_hospital("RS Dekat", lat=-6.98, lon=110.41)
    far = make_hospital("RS Jauh", village="3374101001", lat=-7.09, lon=110.415)
    services.upsert_room(system_actor, near, room(cls="ICU", cap=4, free=0), source="api")
    services.upsert_room(
        system_actor, near, room(code="K3", cls="KL3", cap=20, free=5), source="api"
    )
    services.upsert_room(system_actor, far, room(cls="ICU", cap=6, free=2), source="api")
    selectors.reset_snapshot()
    icu = selectors.public_board(kelas="ICU", lat=-6.98, lon=110.41)
    assert [e["name"] for e in icu] == ["RS Jauh"]  # the near one has no free ICU bed
    assert icu[0]["distance_km"] > 10 and icu[0]["travel_minutes"] > 0
    both = selectors.public_board(kelas="ICU", lat=-6.98, lon=110.41, include_full=True)
    assert [e["name"] for e in both] == ["RS Dekat", "RS Jauh"]
    assert [e["name"] for e in selectors.public_board(kecamatan="337410")] == ["RS Jauh"]
    # An update shows without waiting for a rebuild.
    services.upsert_room(system_actor, near, room(cls="ICU", cap=4, free=1), source="api")
    selectors._snapshot.checked_at = 0  # skip the 0.25 s check interval
    names = [e["name"] for e in selectors.public_board(kelas="ICU", lat=-6.98, lon=110.41)]
    assert names == ["RS Dekat", "RS Jauh"]


def test_board_flags_stale_hospitals(make_hospital, system_actor):
    from datetime import timedelta

    from django.utils import timezone

    h = make_hospital()
    old = timezone.now() - timedelta(hours=7)
    services.upsert_room(system_actor, h, room(), source="api", at=old)
    selectors.reset_snapshot()
    [entry] = selectors.public_board()
    assert entry["stale"] is True and entry["age_minutes"] >= 420
    services.upsert_room(system_actor, h, room(), source="api")  # a resend refreshes the age
    selectors.reset_snapshot()
    [entry] = selectors.public_board()
    assert entry["stale"] is False
