"""Bed holds: a bed kept for an incoming patient shows as reserved until it ends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sigap.beds import services
from sigap.beds.models import BedHold, BedUpdate, Room
from sigap.core.errors import Conflict, Forbidden, InvalidInput
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from tests.helpers import run_together

from .test_concurrency import report


@pytest.fixture
def hospital(make_hospital, system_actor):
    h = make_hospital()
    services.upsert_room(system_actor, h, report("K1", 10, 1), source="api")
    services.upsert_room(system_actor, h, report("K2", 10, 3), source="api")
    return h


def counts(code: str) -> tuple[int, int]:
    room = Room.objects.get(code=code)
    return room.free, room.reserved


@pytest.mark.django_db
def test_hold_takes_a_bed_from_the_room_with_most_free(hospital, system_actor):
    hold = services.hold_bed(system_actor, hospital, "KL3", ref="referrals.referral:x")
    assert hold.status == BedHold.Status.HELD
    assert hold.room.code == "K2"
    assert counts("K2") == (2, 1)
    assert services.free_beds(hospital, "KL3") == 3
    assert BedUpdate.objects.filter(kind=BedUpdate.Kind.HOLD).count() == 1
    assert AuditEvent.objects.filter(action="bed.hold.create").count() == 1


@pytest.mark.django_db
def test_release_frees_the_bed_and_arrival_keeps_it_taken(hospital, system_actor):
    a = services.hold_bed(system_actor, hospital, "KL3", ref="a")
    b = services.hold_bed(system_actor, hospital, "KL3", ref="b")
    services.end_hold(system_actor, a, BedHold.Status.RELEASED, reason="cancelled")
    services.end_hold(system_actor, b, BedHold.Status.ARRIVED)
    free_total = services.free_beds(hospital, "KL3")
    reserved_total = sum(Room.objects.values_list("reserved", flat=True))
    assert (free_total, reserved_total) == (3, 0)  # 4 free, one patient arrived
    with pytest.raises(Conflict):
        services.end_hold(system_actor, a, BedHold.Status.RELEASED)


@pytest.mark.django_db
def test_no_free_bed_or_unknown_class_or_policy_refuses_and_writes_nothing(
    hospital, system_actor, operator_of
):
    with pytest.raises(InvalidInput):
        services.hold_bed(system_actor, hospital, "Q9Z", ref="a")
    with pytest.raises(Conflict):
        services.hold_bed(system_actor, hospital, "VIP", ref="a")
    operator = Actor(user=operator_of(hospital), channel="web")
    services.set_hold_policy(operator, hospital, allows_holds=False, max_minutes=60)
    with pytest.raises(Conflict):
        services.hold_bed(system_actor, hospital, "KL3", ref="a")
    assert not BedHold.objects.exists()
    assert counts("K1") == (1, 0) and counts("K2") == (3, 0)
    with pytest.raises(Forbidden):
        services.set_hold_policy(system_actor, hospital, allows_holds=True, max_minutes=60)


@pytest.mark.django_db
def test_expired_holds_give_the_bed_back(hospital, system_actor):
    now = timezone.now()
    hold = services.hold_bed(system_actor, hospital, "KL3", ref="a", minutes=30, now=now)
    assert services.expire_holds(now + timedelta(minutes=29)) == 0
    assert services.expire_holds(now + timedelta(minutes=31)) == 1
    hold.refresh_from_db()
    assert hold.status == BedHold.Status.EXPIRED
    assert counts("K2") == (3, 0)


@pytest.mark.django_db
def test_a_hospital_report_that_shrinks_reserved_does_not_go_negative(hospital, system_actor):
    hold = services.hold_bed(system_actor, hospital, "KL3", ref="a")
    # the SIMRS reports the room full (Aplicare carries no reservations): the hold shrinks
    services.upsert_room(system_actor, hospital, report("K2", 10, 10), source="aplicare")
    assert counts("K2") == (10, 0)
    services.end_hold(system_actor, hold, BedHold.Status.RELEASED)
    assert counts("K2") == (10, 0)


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_takers_of_the_last_bed_get_exactly_one_hold(make_hospital):
    h = make_hospital()
    services.upsert_room(Actor.system(), h, report("K9", 5, 1), source="api")

    def work(i: int):
        return services.hold_bed(Actor.system(f"taker-{i}"), h, "KL3", ref=f"t{i}")

    results = run_together(4, work, who="a writer")
    holds = [r for r in results if isinstance(r, BedHold)]
    refusals = [r for r in results if isinstance(r, Conflict)]
    assert len(holds) == 1 and len(refusals) == 3, results
    assert counts("K9") == (0, 1)


@pytest.mark.django_db
def test_operator_page_lists_holds_and_saves_the_policy(
    hospital, system_actor, operator_of, client
):
    services.hold_bed(system_actor, hospital, "KL3", ref="referrals.referral:abc")
    client.force_login(operator_of(hospital))
    page = client.get("/operator/", {"rs": hospital.public_id})
    assert "referrals.referral:abc" in page.content.decode()
    answer = client.post(
        "/operator/",
        {"rs": hospital.public_id, "action": "hold_policy", "max_minutes": "45"},
    )
    assert answer.status_code == 302
    policy = services.hold_policy(hospital)
    assert (policy.allows_holds, policy.max_minutes) == (False, 45)
    bad = client.post(
        "/operator/",
        {
            "rs": hospital.public_id,
            "action": "hold_policy",
            "max_minutes": "5",
            "allows_holds": "on",
        },
    )
    assert bad.status_code == 422
    assert services.hold_policy(hospital).max_minutes == 45


@pytest.mark.django_db
def test_a_room_split_by_sex_stays_consistent(make_hospital, system_actor):
    h = make_hospital()
    split = report("S1", 10, 3, free_male=0, free_female=3)
    services.upsert_room(system_actor, h, split, source="api")
    hold = services.hold_bed(system_actor, h, "KL3", ref="a")
    room = Room.objects.get(code="S1")
    assert (room.free, room.free_male, room.free_female, room.reserved) == (2, 0, 2, 1)
    services.end_hold(system_actor, hold, BedHold.Status.RELEASED)
    room.refresh_from_db()
    assert (room.free, room.free_male, room.free_female, room.reserved) == (3, 0, 3, 0)


@pytest.mark.django_db
def test_a_patient_gets_no_bed_of_the_other_sex(make_hospital, system_actor):
    h = make_hospital()
    women = report("W1", 10, 2, free_male=0, free_female=2)
    services.upsert_room(system_actor, h, women, source="api")
    with pytest.raises(Conflict):
        services.hold_bed(system_actor, h, "KL3", ref="a", sex="male")
    hold = services.hold_bed(system_actor, h, "KL3", ref="b", sex="female")
    assert hold.sex_field == "free_female"
    unknown = services.hold_bed(system_actor, h, "KL3", ref="c")  # sex not known yet
    assert unknown.sex_field == "free_female"
    room = Room.objects.get(code="W1")
    assert (room.free, room.free_female, room.reserved) == (0, 0, 2)


@pytest.mark.django_db
def test_a_hold_dated_in_the_past_does_not_move_the_room_clock_back(hospital, system_actor):
    before = Room.objects.get(code="K2").changed_at
    past = before - timedelta(days=3)
    hold = services.hold_bed(system_actor, hospital, "KL3", ref="a", now=past)
    room = Room.objects.get(code="K2")
    last = BedUpdate.objects.filter(room=room).order_by("-at", "-id").first()
    assert room.changed_at == before == last.at
    assert (last.free, last.reserved) == (room.free, room.reserved)
    services.end_hold(system_actor, hold, BedHold.Status.RELEASED, now=past)
    room.refresh_from_db()
    assert room.changed_at == before
