"""Danger signs found on a home visit become a referral, through home care's own hand-over
(`sigap.homecare.services.record_visit` -> `hand_over_escalation` -> our
`create_from_homecare`): the patient from the care request, the Puskesmas as sender, the
recommended hospital for the service the signs need, urgency from the escalation."""

from datetime import date

import pytest

from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.homecare import services as homecare
from sigap.homecare.models import Escalation
from sigap.referrals import services
from sigap.referrals.models import Referral
from tests.homecare.conftest import planned_home_visit

from .conftest import NIK

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 10)


@pytest.fixture
def home_visit(network, make_user):
    """A care plan of a pregnant woman at Puskesmas Miroto, planned for DAY: the visit and the
    nurse who makes it (a worker login, not an operator of the Puskesmas)."""
    return planned_home_visit(network, make_user, NIK, DAY)


def record(visit, nurse, signs, **vitals):
    return homecare.record_visit(
        Actor(nurse, "web"),
        visit,
        homecare.RecordInput(outcome="worse", danger_signs=signs, notes="Kaki bengkak", **vitals),
    )


def test_danger_signs_become_a_referral_to_the_recommended_hospital(network, home_visit):
    net = network
    visit, nurse = home_visit
    rec = record(visit, nurse, ["bengkak_kaki_kepala"], systolic=150, diastolic=100, pulse=96)
    esc = Escalation.objects.get(record=rec)
    assert esc.status == "handed_over", esc.handed_to
    r = Referral.objects.get(incident_ref=f"homecare.escalation:{esc.public_id}")
    assert str(esc.handed_to) == r.number
    # home care links it through our page_url, knowing neither Referral nor the URL name
    assert homecare.escalation_target(esc) == (r.number, f"/rujukan/{r.public_id}/")
    # the Puskesmas sends; RS Alfa is the nearest hospital with obstetri (Gamma has none)
    assert r.sender == net.pkm and r.receiver == net.alfa and r.service_id == "obstetri"
    assert (r.urgency, r.kind, r.status) == ("elective", 1, "sent")
    assert (r.patient_nik, r.patient_name, r.patient_sex) == (NIK, "Siti Contoh", "P")
    assert r.patient_birth_date == date(1990, 1, 5)  # from the NIK
    assert r.patient_contact == "081234567890" and r.patient_address == "Jl. Miroto 3"
    assert r.diagnosis_code == "R60.0" and r.blood_pressure == "150/100" and r.pulse == 96
    assert "Kaki bengkak" in r.anamnesis and r.reason_text
    assert r.payer == "general"  # SIGAP knows no JKN cover for this NIK
    # the hospital sees it in its inbox; the nurse is named in the audit trail
    audit = AuditEvent.objects.get(action="referral.send", object_id=str(r.public_id))
    assert "ners-ani" in audit.actor_label
    # a second hand-over of the same escalation creates nothing
    again = services.create_from_homecare(
        Actor(net.people["pkm"], "web"), homecare.handover_of(esc)
    )
    assert again.pk == r.pk and Referral.objects.count() == 1


def test_no_hospital_with_the_service_leaves_the_escalation_open(network, home_visit):
    visit, nurse = home_visit
    # a child who does not eat needs KIA care, which none of the test hospitals offers
    rec = record(visit, nurse, ["tidak_mau_makan"])
    esc = Escalation.objects.get(record=rec)
    assert esc.status == "open" and not Referral.objects.exists()


def test_an_emergency_escalation_is_an_emergency_referral(network, home_visit):
    """Home care sends emergencies to the emergency capability; called with one, the referral
    is an emergency inpatient referral to an IGD."""
    net = network
    visit, nurse = home_visit
    rec = record(visit, nurse, ["bengkak_kaki_kepala"])
    esc = Escalation.objects.get(record=rec)
    Escalation.objects.filter(pk=esc.pk).update(kind="emergency", reasons=["perdarahan"])
    Referral.objects.all().delete()
    esc.refresh_from_db()
    r = services.create_from_homecare(Actor(net.people["pkm"], "web"), homecare.handover_of(esc))
    assert (r.urgency, r.kind, r.service_id, r.reason_id) == ("emergency", 2, "igd", "GD")
    assert r.diagnosis_code == "R58"
    audit = AuditEvent.objects.get(action="referral.send", object_id=str(r.public_id))
    assert audit.actor_id == net.people["pkm"].pk
