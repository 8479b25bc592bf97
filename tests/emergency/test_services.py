"""Incidents, triage, repeat calls, the unit state machine, assignment, hand-offs."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from sigap.beds.models import BedHold, Room
from sigap.core.errors import Conflict, Forbidden, InvalidInput
from sigap.core.models import AuditEvent
from sigap.emergency import reference, services
from sigap.emergency.models import Assignment, Handoff, Incident, Unit, UnitStatusChange

from .conftest import actor

pytestmark = pytest.mark.django_db


def test_triage_questions_per_category_point_to_colours():
    for category in reference.CATEGORIES:
        qs = reference.triage_questions(category)
        assert qs and {q["colour"] for q in qs} <= set(reference.TRIAGE)
        assert len({q["key"] for q in qs}) == len(qs)
    assert reference.suggest_triage("traffic", {"luka_ringan": True}) == "hijau"
    assert reference.suggest_triage("traffic", {"patah": True, "luka_ringan": True}) == "kuning"
    assert reference.suggest_triage("medical", {"tidak_napas": True}) == "merah"
    assert reference.suggest_triage("medical", {}) == "hijau"
    assert reference.triage_questions("nope") == []


def test_create_incident_places_it_and_asks_agencies(users, call):
    inc = call(category="traffic", triage="", triage_answers={"cedera_kepala": True, "x": True})
    assert inc.triage == "kuning"  # suggested from the answers; unknown keys dropped
    assert inc.triage_answers == {"cedera_kepala": True}
    assert inc.village_id == "3374011001" and inc.area_code == "3374"
    assert inc.status == "open" and inc.calls.count() == 1
    assert inc.service_needed == "trauma" and inc.agencies_needed == ["police"]
    assert AuditEvent.objects.filter(action="emergency.incident.create").count() == 1


def test_incident_number_carries_the_local_date(users):
    # 22:30 UTC on 22 November is 05:30 WIB on 23 November
    at = datetime(2026, 11, 22, 22, 30, tzinfo=UTC)
    inc = services.create_incident(
        actor(users["psc"]),
        services.IncidentInput(village_code="3374021001", category="medical", triage="hijau"),
        now=at,
    )
    assert inc.number.startswith("GD261123-")


def test_incident_from_a_kelurahan_only(users):
    inc = services.create_incident(
        actor(users["psc"]),
        services.IncidentInput(village_code="3374021001", category="fire", triage="merah"),
    )
    assert (inc.latitude, inc.longitude) == (-6.958, 110.421)


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"latitude": None, "longitude": None}, "location"),
        ({"latitude": 95.0}, "latitude"),
        ({"category": "alien"}, "category"),
        ({"triage": "biru"}, "triage"),
        ({"victims": 0}, "victims"),
        ({"caller_phone": "abc"}, "caller_phone"),
        ({"village_code": "9999999999"}, "village_code"),
        ({"notes": "x\x00y"}, "notes"),
    ],
)
def test_bad_calls_are_refused_and_write_nothing(users, call, kw, field):
    with pytest.raises(InvalidInput) as e:
        call(**kw)
    assert e.value.field == field
    assert Incident.objects.count() == 0


def test_only_call_centre_roles_in_their_area_open_incidents(users):
    data = services.IncidentInput(latitude=-6.98, longitude=110.41, category="medical")
    with pytest.raises(Forbidden):
        services.create_incident(actor(users["crew"]), data)
    # another city's dispatcher: outside the area, refused unless confirmed (test_areas.py)
    with pytest.raises(InvalidInput) as exc:
        services.create_incident(actor(users["other_disp"]), data)
    assert exc.value.code == "out_of_area"
    # SOS from the public page needs no account
    sos = services.create_incident(
        services.Actor(user=None, channel="sos"),
        services.IncidentInput(latitude=-6.98, longitude=110.41, category="medical", source="sos"),
    )
    assert sos.source == "sos" and sos.triage == "hijau"


def test_repeat_calls_by_number_or_place(users, call):
    first = call(caller_phone="0812-3456-7890")
    now = timezone.now()
    # same number written differently (+62)
    assert services.find_repeats(phone="+6281234567890", area_code="3374") == [first]
    # another number 100 m away
    assert services.find_repeats(
        phone="0899", latitude=-6.9819, longitude=110.4130, area_code="3374"
    ) == [first]
    # far away, other number
    assert (
        services.find_repeats(phone="0899", latitude=-7.09, longitude=110.41, area_code="3374")
        == []
    )
    # after the window
    assert (
        services.find_repeats(
            phone="081234567890", area_code="3374", now=now + timedelta(minutes=31)
        )
        == []
    )
    services.add_call(actor(users["psc"]), first, phone="0899", note="tetangga")
    first.refresh_from_db()
    assert first.call_count == 2 and first.calls.count() == 2


def test_unit_lifecycle_drives_incident_and_times(users, call, make_unit, make_hospital):
    unit = make_unit()
    inc = call()
    disp, crew = actor(users["dispatcher"]), actor(users["crew"])
    unit.crew.add(users["crew"])
    t0 = inc.received_at
    a = services.assign_unit(disp, inc, unit, now=t0 + timedelta(minutes=1))
    inc.refresh_from_db()
    assert inc.status == "dispatched" and unit.status == "dispatched"
    assert a.eta_minutes is not None and a.distance_km < 1
    services.accept_assignment(crew, a)
    steps = ["en_route", "on_scene", "transporting", "at_hospital", "returning", "available"]
    for k, to in enumerate(steps, start=2):
        destination = ""
        if to == "transporting":  # the crew confirms the hospital the dispatcher chose
            destination = str(
                services.create_handoff(disp, inc, make_hospital("RS T")).hospital.public_id
            )
        services.crew_status(
            crew,
            unit,
            to,
            latitude=-6.98,
            longitude=110.41,
            now=t0 + timedelta(minutes=k * 3),
            destination=destination,
        )
    inc.refresh_from_db()
    a.refresh_from_db()
    assert inc.status == "closed"
    assert inc.dispatched_at == t0 + timedelta(minutes=1)
    assert inc.on_scene_at == t0 + timedelta(minutes=9)
    assert inc.hospital_at == t0 + timedelta(minutes=15)
    assert a.status == "completed" and a.on_scene_at == inc.on_scene_at
    history = list(UnitStatusChange.objects.filter(unit=unit).values_list("to_status", flat=True))
    assert history == ["dispatched", *steps]


def test_unit_transition_table_refuses_jumps(users, make_unit):
    unit = make_unit()
    crew_actor = services.Actor.system("crew")
    with pytest.raises(Conflict):
        services.move_unit(crew_actor, unit, "on_scene")
    with pytest.raises(InvalidInput):
        services.crew_status(crew_actor, unit, "dispatched")
    services.move_unit(crew_actor, unit, "out_of_service", reason="ban bocor")
    with pytest.raises(Conflict):
        services.move_unit(crew_actor, unit, "returning")
    services.move_unit(crew_actor, unit, "available")
    for allowed in services.UNIT_TRANSITIONS.values():
        assert allowed <= set(Unit.Status.values)


def test_crew_of_another_unit_cannot_move_it(users, make_unit):
    unit = make_unit()
    with pytest.raises(Forbidden):
        services.crew_status(actor(users["crew"]), unit, "out_of_service")


def test_second_assignment_of_a_taken_unit_is_a_clear_conflict(users, call, make_unit):
    unit = make_unit(code="AMB-X")
    a, b = call(), call(latitude=-7.09, longitude=110.41, caller_phone="0811")
    services.assign_unit(actor(users["dispatcher"]), a, unit)
    stale = Unit.objects.get(pk=unit.pk)
    stale.status = "available"  # the second dispatcher's page still shows it free
    with pytest.raises(Conflict) as e:
        services.assign_unit(actor(users["dispatcher2"]), b, stale)
    assert e.value.code == "unit_taken" and "AMB-X" in e.value.message
    b.refresh_from_db()
    assert b.status == "open" and Assignment.objects.count() == 1


def test_cancel_and_reassign(users, call, make_unit):
    u1, u2 = make_unit(), make_unit()
    inc = call()
    disp = actor(users["dispatcher"])
    a = services.assign_unit(disp, inc, u1)
    new = services.reassign(disp, a, u2, reason="lebih dekat")
    u1.refresh_from_db()
    a.refresh_from_db()
    inc.refresh_from_db()
    assert u1.status == "available" and a.status == "cancelled"
    assert new.unit == u2 and inc.status == "dispatched"
    services.cancel_assignment(disp, new, reason="pasien dibawa keluarga")
    inc.refresh_from_db()
    assert inc.status == "open"  # back in the queue
    services.close_incident(actor(users["psc"]), inc, reason="tidak perlu", cancel=True)
    inc.refresh_from_db()
    assert inc.status == "cancelled" and inc.closed_at


def _operator(make_user, rs, name="op"):
    from sigap.facilities.models import FacilityOperator

    op = make_user(name, "hospital_operator")
    FacilityOperator.objects.create(user=op, facility=rs)
    return op


def test_handoff_is_an_emergency_referral_that_follows_the_unit(
    users, call, make_unit, make_hospital, make_user
):
    from sigap.referrals import selectors as referral_selectors
    from sigap.referrals import services as referral_services

    rs = make_hospital("RS Alfa", services_=("igd", "icu"), rooms=[("ICU1", "ICU", 4, 2)])
    op = _operator(make_user, rs)
    unit = make_unit()
    inc = call()
    disp = actor(users["dispatcher"])
    services.assign_unit(disp, inc, unit)
    h = services.create_handoff(
        disp, inc, rs, summary="Laki-laki 60 th, nyeri dada", bed_class="ICU", hold_bed=True
    )
    assert h.status == "pending" and h.unit == unit
    ref = h.referral
    assert (ref.status, ref.urgency, ref.incident_ref, ref.receiver_id) == (
        "sent",
        "emergency",
        inc.number,
        rs.pk,
    )
    # one hold, the referral's; the hand-off shows it
    assert BedHold.objects.count() == 1 and h.bed_hold_id == ref.bed_hold_id
    room = Room.objects.get(code="ICU1")
    assert (room.free, room.reserved) == (1, 1)
    # the hospital sees it in its referral inbox, with the answer clock running
    rows = referral_selectors.inbox(rs)
    assert [r["number"] for r in rows] == [ref.number] and rows[0]["seconds_left"] > 0
    referral_services.answer_referral(actor(op), ref, accept=True)
    h.refresh_from_db()
    assert h.status == "acknowledged" and h.acknowledged_by == op
    sysa = services.Actor.system("crew")
    for to in ["on_scene", "transporting", "at_hospital"]:
        services.move_unit(sysa, unit, to)
    h.refresh_from_db()
    ref.refresh_from_db()
    room.refresh_from_db()
    assert h.status == "arrived" and h.arrived_at and ref.status == "arrived"
    assert BedHold.objects.get().status == "arrived" and (room.free, room.reserved) == (1, 0)


def test_unanswered_referral_waits_for_the_hospital_when_the_unit_arrives(
    users, call, make_unit, make_hospital, make_user
):
    rs = make_hospital("RS Alfa")
    op = _operator(make_user, rs)
    unit = make_unit()
    inc = call()
    disp = actor(users["dispatcher"])
    services.assign_unit(disp, inc, unit)
    h = services.create_handoff(disp, inc, rs)
    for to in ["on_scene", "transporting", "at_hospital"]:
        services.move_unit(services.Actor.system("crew"), unit, to)
    h.refresh_from_db()
    assert h.status == "pending" and h.referral.status == "sent"
    # the hospital receives the patient from the emergency page: accept, then arrival
    services.hospital_handoff_action(actor(op), h, "arrived")
    h.refresh_from_db()
    assert h.status == "arrived" and h.referral.status == "arrived"


def test_rejected_referral_ends_the_handoff_and_asks_for_another_hospital(
    users, call, make_unit, make_hospital, make_user
):
    from sigap.emergency import selectors
    from sigap.referrals import services as referral_services

    a = make_hospital("RS A", rooms=[("K1", "KL3", 10, 3)])
    b = make_hospital("RS B")
    op = _operator(make_user, a)
    inc = call(triage="kuning")
    disp = actor(users["dispatcher"])
    h1 = services.create_handoff(disp, inc, a, bed_class="KL3", hold_bed=True)
    assert Room.objects.get(code="K1").free == 2
    referral_services.answer_referral(actor(op), h1.referral, accept=False, note="ICU penuh")
    h1.refresh_from_db()
    assert h1.status == "rejected" and "ICU penuh" in h1.ended_reason
    assert Room.objects.get(code="K1").free == 3  # the referral released its hold
    row = selectors.incident_json(selectors.active_incidents_by_pk(inc.pk), inc.received_at)
    assert row["hospital"] == "" and row["needs_hospital"] == h1.ended_reason
    h2 = services.create_handoff(disp, inc, b)
    h1.referral.refresh_from_db()
    assert h1.referral.status == "cancelled" and h2.referral.status == "sent"
    row = selectors.incident_json(selectors.active_incidents_by_pk(inc.pk), inc.received_at)
    assert row["hospital"] == "RS B" and row["needs_hospital"] == ""


def test_hospital_operator_acknowledges_only_its_own_handoff(users, call, make_hospital, make_user):
    from sigap.facilities.models import FacilityOperator

    rs, other = make_hospital("RS A"), make_hospital("RS B")
    op = make_user("op-b", "hospital_operator")
    FacilityOperator.objects.create(user=op, facility=other)
    inc = call()
    h = services.create_handoff(actor(users["dispatcher"]), inc, rs, summary="x")
    with pytest.raises(Forbidden):
        services.hospital_handoff_action(actor(op), h, "acknowledged")
    FacilityOperator.objects.create(user=op, facility=rs)
    services.hospital_handoff_action(actor(op), h, "acknowledged")
    assert Handoff.objects.get().status == "acknowledged"
    assert h.referral.__class__.objects.get().status == "accepted"  # answered as a referral
    with pytest.raises(Conflict):
        services.move_handoff(actor(op), h, "pending")


def test_new_handoff_cancels_the_previous_referral_and_releases_its_bed(users, call, make_hospital):
    a = make_hospital("RS A", rooms=[("K1", "KL3", 10, 3)])
    b = make_hospital("RS B")
    inc = call(triage="kuning")
    disp = actor(users["dispatcher"])
    h1 = services.create_handoff(disp, inc, a, bed_class="KL3", hold_bed=True)
    services.create_handoff(disp, inc, b)
    h1.refresh_from_db()
    h1.referral.refresh_from_db()
    assert h1.status == "cancelled" and h1.referral.status == "cancelled"
    assert BedHold.objects.get().status == "released"
    assert Room.objects.get(code="K1").free == 3


def test_closing_the_incident_cancels_its_referral(users, call, make_hospital):
    rs = make_hospital("RS A")
    inc = call()
    h = services.create_handoff(actor(users["dispatcher"]), inc, rs)
    services.close_incident(actor(users["dispatcher"]), inc, reason="salah sambung", cancel=True)
    h.refresh_from_db()
    h.referral.refresh_from_db()
    assert h.status == "cancelled" and h.referral.status == "cancelled"


def test_accepted_referral_that_expires_ends_the_handoff(users, call, make_hospital, make_user):
    from datetime import timedelta

    from django.utils import timezone

    from sigap.referrals import services as referral_services

    rs = make_hospital("RS A")
    op = _operator(make_user, rs)
    inc = call()
    h = services.create_handoff(actor(users["dispatcher"]), inc, rs)
    referral_services.answer_referral(actor(op), h.referral, accept=True)
    referral_services.escalate_overdue(timezone.now() + timedelta(days=3))
    h.refresh_from_db()
    assert h.status == "rejected" and h.referral.status == "expired"


def test_refused_bed_hold_still_sends_the_referral(users, call, make_hospital):
    rs = make_hospital("RS Penuh", rooms=[("K1", "KL3", 10, 0)])
    inc = call(triage="kuning")
    h = services.create_handoff(actor(users["dispatcher"]), inc, rs, bed_class="KL3", hold_bed=True)
    assert h.referral.status == "sent" and h.bed_hold_id is None and h.ended_reason
    assert BedHold.objects.count() == 0


def test_agency_handover_by_signed_webhook(users, call):
    from sigap.core.models import WebhookDelivery, WebhookEndpoint
    from sigap.emergency.models import Agency

    ep = WebhookEndpoint.objects.create(name="polres", url="http://127.0.0.1:9/hook")
    police = Agency.objects.create(area_code="3374", kind="police", name="Polrestabes", webhook=ep)
    Agency.objects.create(area_code="3374", kind="fire", name="Damkar")
    inc = call(category="traffic", triage="kuning")
    req = inc.agency_requests.get()
    assert req.agency == police and req.status == "sent"
    d = WebhookDelivery.objects.get()
    assert d.event == "incident.handover" and inc.number in d.body
    services.request_agencies(actor(users["psc"]), inc, ["fire"])
    assert inc.agency_requests.get(agency__kind="fire").status == "no_channel"
    services.agency_status(services.Actor.system("polres"), police, inc, status="on_scene")
    req.refresh_from_db()
    assert req.status == "acknowledged" and req.partner_status == "on_scene"


def test_area_targets_urban_and_rural(area):
    from sigap.emergency.models import AreaSettings
    from sigap.regions.models import Region

    AreaSettings.objects.create(area_code="33", urban_target_min=12, rural_target_min=25)
    kel, desa = Region.objects.get(code="3374011001"), Region.objects.get(code="3322012001")
    assert services.target_minutes(kel, "3374") == 12
    assert services.target_minutes(desa, "3322") == 25


def test_handoff_holds_a_female_only_bed(users, call, make_hospital):
    """Regression (simulator): a room whose free beds are all female-only once made hold_bed
    break a bed-count rule; the hold now comes out of the female count."""
    from sigap.beds import services as bed_services
    from sigap.facilities.models import Facility

    rs = make_hospital("RS Wanita")
    bed_services.upsert_room(
        services.Actor.system(),
        Facility.objects.get(pk=rs.pk),
        bed_services.RoomInput(
            bed_class="KL3", code="W1", name="Wanita", capacity=10, free=2, free_female=2
        ),
        source="api",
    )
    inc = call(triage="kuning")
    h = services.create_handoff(actor(users["dispatcher"]), inc, rs, bed_class="KL3", hold_bed=True)
    assert h.status == "pending" and h.bed_hold is not None
    room = Room.objects.get(code="W1")
    assert (room.free, room.free_female, room.reserved) == (1, 1, 1)
    assert BedHold.objects.count() == 1


def test_handoff_to_a_hospital_across_the_border(users, call, make_hospital):
    """An ambulance may take the patient to a hospital in the next kab/kota: the referral goes
    on the centre's behalf (referrals refuses a unit role outside its area), labelled with the
    dispatcher."""
    from sigap.referrals.models import ReferralEvent

    rs = make_hospital("RS Ungaran", village="3322012001", lat=-7.15, lon=110.40)
    inc = call()
    h = services.create_handoff(actor(users["dispatcher"]), inc, rs)
    assert h.referral.receiver_id == rs.pk and h.referral.status == "sent"
    assert ReferralEvent.objects.get(referral=h.referral).actor_label == "PSC 119: disp"


def test_office_redirect_of_an_unanswered_referral_moves_the_handoff(
    users, call, make_hospital, make_user
):
    from datetime import timedelta

    from django.utils import timezone

    from sigap.referrals import services as referral_services

    a, b = make_hospital("RS A"), make_hospital("RS B")
    office = make_user("dinkes", "analyst", area_code="3374")
    inc = call()
    h = services.create_handoff(actor(users["dispatcher"]), inc, a)
    referral_services.escalate_overdue(timezone.now() + timedelta(hours=1))  # not answered
    h.referral.refresh_from_db()
    assert h.referral.status == "escalated"
    referral_services.redirect_referral(actor(office), h.referral, b)
    h.refresh_from_db()
    assert h.hospital == b and h.status == "pending"
