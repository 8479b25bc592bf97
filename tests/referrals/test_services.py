"""Referral workflow through the services: send, answer, arrival, back-referral, escalation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sigap.beds.models import BedHold, Room
from sigap.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.referrals import services
from sigap.referrals.models import Referral, ReferralAnswer, ReferralDailyStat, ReferralEvent

from .conftest import as_, referral_input

pytestmark = pytest.mark.django_db


def free(facility, cls):
    return sum(
        Room.objects.filter(facility=facility, bed_class_id=cls).values_list("free", flat=True)
    )


def test_send_accept_with_hold_arrive_and_back_referral(network):
    net = network
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    assert r.status == "sent" and r.receiver == net.alfa and r.sender == net.pkm
    assert r.diagnosis_code == "J18.9" and r.patient_sex == "P"
    assert r.patient_birth_date.isoformat() == "1990-01-05"  # from the NIK
    assert (r.answer_due_at - r.created_at) == timedelta(minutes=15)
    assert r.room_class_id == "ICU"  # critical care: the same class whoever pays

    before = free(net.alfa, "ICU")
    r = services.answer_referral(as_(net.people["alfa"]), r, accept=True, hold_bed=True)
    assert r.status == "accepted" and r.bed_hold is not None
    assert free(net.alfa, "ICU") == before - 1
    assert Room.objects.get(facility=net.alfa, bed_class_id="ICU").reserved == 1

    r = services.record_arrival(as_(net.people["alfa"]), r)
    assert r.status == "arrived" and r.arrived_at is not None
    assert BedHold.objects.get(pk=r.bed_hold_id).status == "arrived"
    assert Room.objects.get(facility=net.alfa, bed_class_id="ICU").reserved == 0

    r = services.close_referral(as_(net.people["alfa"]), r, back_referral="Kontrol di Puskesmas")
    assert r.status == "closed" and r.back_referral_note == "Kontrol di Puskesmas"

    actions = list(ReferralEvent.objects.filter(referral=r).values_list("action", flat=True))
    assert actions == ["send", "accept", "arrive", "close"]
    audited = set(
        AuditEvent.objects.filter(object_id=str(r.public_id)).values_list("action", flat=True)
    )
    assert {"referral.send", "referral.accept", "referral.arrive", "referral.close"} <= audited
    answer = ReferralAnswer.objects.get(referral=r)
    assert answer.outcome == "accepted" and answer.payer == "jkn_pbi"
    assert ReferralDailyStat.objects.get(facility=net.alfa).accepted == 1


def test_reject_needs_reason_and_proposes_another_hospital(network):
    net = network
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    with pytest.raises(InvalidInput) as exc:
        services.answer_referral(as_(net.people["alfa"]), r, accept=False)
    assert exc.value.field == "note"
    assert Referral.objects.get(pk=r.pk).status == "sent"
    r = services.answer_referral(as_(net.people["alfa"]), r, accept=False, note="ICU penuh")
    assert r.status == "rejected" and r.answer_note == "ICU penuh"
    assert r.proposed == net.gamma  # has ICU with a free bed; Beta has none
    r = services.redirect_referral(as_(net.people["pkm"]), r, net.gamma)
    assert r.status == "sent" and r.receiver == net.gamma and r.attempts == 2
    services.answer_referral(as_(net.people["gamma"]), r, accept=True)


def test_overdue_referral_escalates_to_the_office_with_next_hospital(network):
    net = network
    t0 = timezone.now()
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net), now=t0)
    assert services.escalate_overdue(t0 + timedelta(minutes=14))["escalated"] == 0
    assert services.escalate_overdue(t0 + timedelta(minutes=16))["escalated"] == 1
    r.refresh_from_db()
    assert r.status == "escalated" and r.proposed == net.gamma
    assert ReferralAnswer.objects.get(referral=r).outcome == "timeout"
    from sigap.core.models import Notification

    assert Notification.objects.filter(
        user=net.people["dinkes"], kind="referral.escalated"
    ).exists()
    # the office redirects; a late answer from the first hospital is refused
    r = services.redirect_referral(as_(net.people["dinkes"]), r, r.proposed)
    with pytest.raises((Conflict, Forbidden)):
        services.answer_referral(as_(net.people["alfa"]), r, accept=True)


def test_elective_deadline_is_a_day(network):
    net = network
    r = services.send_referral(
        as_(net.people["pkm"]), referral_input(net, urgency="elective", kind=1, bed_class="")
    )
    assert r.answer_due_at - r.created_at == timedelta(hours=24)


@pytest.mark.parametrize(
    "payer,jkn_class,asked,room",
    [
        ("jkn_pbi", "", "KL1", "KL3"),
        ("jkn_non_pbi", "KL2", "VIP", "KL2"),
        ("general", "", "VIP", "VIP"),
        ("private", "", "KL1", "KL1"),
        ("jkn_pbi", "", "ICU", "ICU"),
        ("general", "", "ICU", "ICU"),
    ],
)
def test_payer_only_decides_the_ward_class(payer, jkn_class, asked, room):
    assert services.room_class_for(payer, asked, jkn_class) == room


def test_deadline_does_not_depend_on_payer(network):
    net = network
    dues = set()
    for payer in ("jkn_pbi", "jkn_non_pbi", "general", "private"):
        r = services.send_referral(as_(net.people["pkm"]), referral_input(net, payer=payer))
        dues.add(r.answer_due_at - r.created_at)
    assert dues == {timedelta(minutes=15)}


@pytest.mark.parametrize(
    "field,value",
    [
        ("patient_nik", "1234"),
        ("patient_nik", "3374013213900003"),
        ("diagnosis", "ZZZ.9"),
        ("reason", "XX"),
        ("pain", "4"),
        ("payer", "vip"),
        ("kind", "7"),
        ("temperature", "99"),
        ("blood_pressure", "tinggi"),
        ("patient_jkn", "12"),
        ("bed_class", "XYZ"),
        ("service", "sulap"),
        ("receiver", "bukan-rs"),
        ("patient_name", ""),
    ],
)
def test_bad_input_is_refused_and_nothing_written(network, field, value):
    net = network
    n = Referral.objects.count(), AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.send_referral(as_(net.people["pkm"]), referral_input(net, **{field: value}))
    assert exc.value.field == field
    assert (Referral.objects.count(), AuditEvent.objects.count()) == n


def test_roles_and_scopes(network):
    net = network
    with pytest.raises(Forbidden):  # a citizen cannot send
        services.send_referral(as_(net.people["public"]), referral_input(net))
    with pytest.raises(Forbidden):  # a hospital operator cannot send for the Puskesmas
        services.send_referral(as_(net.people["beta"]), referral_input(net))
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    with pytest.raises(Forbidden):  # only the receiver answers
        services.answer_referral(as_(net.people["beta"]), r, accept=True)
    assert services.can_view(net.people["alfa"], r)
    assert services.can_view(net.people["pkm"], r)
    assert services.can_view(net.people["dinkes"], r)
    assert not services.can_view(net.people["beta"], r)
    assert not services.can_view(net.people["public"], r)
    with pytest.raises(NotFound):
        services.require_view(as_(net.people["beta"]), r)


def test_accept_without_free_bed_undoes_the_acceptance(network):
    net = network
    r = services.send_referral(
        as_(net.people["pkm"]), referral_input(net, receiver=str(net.beta.public_id))
    )
    with pytest.raises(Conflict):
        services.answer_referral(as_(net.people["beta"]), r, accept=True, hold_bed=True)
    r.refresh_from_db()
    assert r.status == "sent" and not ReferralAnswer.objects.exists()


def test_cancel_releases_the_held_bed(network):
    net = network
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    r = services.answer_referral(as_(net.people["alfa"]), r, accept=True, hold_bed=True)
    before = free(net.alfa, "ICU")
    r = services.cancel_referral(as_(net.people["pkm"]), r, reason="Pasien meninggal")
    assert r.status == "cancelled" and free(net.alfa, "ICU") == before + 1


def test_accepted_referral_expires_when_the_patient_never_comes(network):
    net = network
    t0 = timezone.now()
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net), now=t0)
    services.answer_referral(as_(net.people["alfa"]), r, accept=True, now=t0)
    assert services.escalate_overdue(t0 + timedelta(hours=25))["expired"] == 1
    assert Referral.objects.get(pk=r.pk).status == "expired"


def test_emergency_referral_from_the_psc(network):
    net = network
    r = services.create_emergency_referral(
        as_(net.people["crew"]),
        to_facility=net.alfa,
        incident_ref="emergency.incident:abc",
        patient_name="",
        sex="L",
        age_years=40,
        complaint="Nyeri dada",
        triage="merah",
        service_code="icu",
        bed_class="ICU",
        hold_bed=True,
    )
    assert r.kind == 2 and r.urgency == "emergency" and r.sender is None
    assert r.sender_label == "PSC 119" and r.incident_ref == "emergency.incident:abc"
    assert r.bed_hold is not None and r.bed_hold.status == "held"
    assert r.patient_birth_date.year == timezone.localdate().year - 40
    assert services.can_view(net.people["crew"], r)
    with pytest.raises(Forbidden):
        services.create_emergency_referral(
            as_(net.people["pkm"]),
            to_facility=net.alfa,
            incident_ref="x",
            patient_name="A",
            sex=None,
            age_years=None,
            complaint="-",
            triage="kuning",
            service_code=None,
            bed_class=None,
            hold_bed=False,
        )


def test_system_actor_escalation_is_audited(network):
    net = network
    t0 = timezone.now()
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net), now=t0)
    services.escalate_overdue(t0 + timedelta(minutes=20))
    ev = AuditEvent.objects.get(action="referral.escalate", object_id=str(r.public_id))
    assert ev.actor_label == "referral-sla" and ev.after["status"] == "escalated"
    assert Actor.system().channel == "system"


def test_hold_takes_a_bed_of_the_patients_sex(network):
    """A room that reports its free beds as female-only: the (female) patient's hold takes one
    of them and the counts stay consistent."""
    net = network
    Room.objects.filter(facility=net.alfa, bed_class_id="ICU").update(free_female=2)
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    assert r.patient_sex == "P"
    r = services.answer_referral(as_(net.people["alfa"]), r, accept=True, hold_bed=True)
    room = Room.objects.get(facility=net.alfa, bed_class_id="ICU")
    assert (room.free, room.free_female, room.reserved) == (1, 1, 1)
    assert r.bed_hold is not None


def test_emergency_hand_off_without_a_free_bed_writes_nothing(network):
    net = network
    n = Referral.objects.count(), AuditEvent.objects.count()
    with pytest.raises(Conflict):
        services.create_emergency_referral(
            as_(net.people["crew"]),
            to_facility=net.beta,
            incident_ref="emergency.incident:x",
            patient_name="A",
            sex=None,
            age_years=None,
            complaint="-",
            triage="merah",
            service_code="icu",
            bed_class="ICU",
            hold_bed=True,
        )
    assert (Referral.objects.count(), AuditEvent.objects.count()) == n


def test_answer_deadlines_come_from_settings(network, settings):
    settings.SIGAP_REFERRAL_ANSWER_MINUTES = {"emergency": 5, "elective": 60}
    net = network
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    assert r.answer_due_at - r.created_at == timedelta(minutes=5)


def test_the_worker_runs_the_escalation_sweep(network):
    from sigap.core import periodic

    net = network
    t0 = timezone.now() - timedelta(minutes=30)
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net), now=t0)
    ran = periodic.run_due()
    assert "sigap.referrals.tasks.escalate_overdue_referrals" in ran
    assert Referral.objects.get(pk=r.pk).status == "escalated"
