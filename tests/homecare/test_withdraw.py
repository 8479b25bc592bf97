"""Issue 12: a referral or PSC 119 incident raised in error from a home visit is withdrawn by
the visit's author, with a reason, through the other capability's own transition function:
the receiving hospital sees the referral cancelled, the dispatcher the incident cancelled."""

from datetime import date

import pytest

from sigap.core.errors import Conflict, Forbidden
from sigap.core.models import AuditEvent
from sigap.core.services import Actor
from sigap.homecare import services as homecare
from sigap.homecare.models import Escalation
from sigap.referrals.models import Referral, ReferralEvent
from tests.beds.conftest import make_hospital, semarang  # noqa: F401 - fixtures
from tests.referrals.conftest import (  # noqa: F401 - fixtures
    NIK,
    network,
    referral_reference_data,
)

from .conftest import client_as, planned_home_visit

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 10)


@pytest.fixture
def home_visit(network, make_user):  # noqa: F811
    return planned_home_visit(network, make_user, NIK, DAY)


def _referral_escalation(home_visit):
    visit, nurse = home_visit
    homecare.record_visit(
        Actor(nurse, "web"), visit,
        homecare.RecordInput(outcome="worse", systolic=150, diastolic=100,
                             danger_signs=["bengkak_kaki_kepala"]),
        confirm_danger=True,
    )  # fmt: skip
    esc = Escalation.objects.get()
    assert esc.status == "handed_over", esc.handed_to
    return esc, Referral.objects.get(public_id=esc.handed_to_id)


def test_author_withdraws_a_referral_and_the_hospital_sees_it_cancelled(network, home_visit):  # noqa: F811
    visit, nurse = home_visit
    esc, referral = _referral_escalation(home_visit)
    assert referral.status == "sent" and referral.receiver == network.alfa
    with pytest.raises(Forbidden):  # the Puskesmas's other staff are not the author
        homecare.withdraw_escalation(Actor(network.people["pkm"], "web"), esc, "bukan saya")
    homecare.withdraw_escalation(Actor(nurse, "web"), esc, "bengkak tidak ada, salah centang")
    referral.refresh_from_db()
    esc.refresh_from_db()
    assert referral.status == "cancelled" and esc.status == "withdrawn"
    event = ReferralEvent.objects.get(referral=referral, action="cancel")
    assert "salah centang" in event.note and "ners-ani" in event.actor_label
    assert AuditEvent.objects.filter(action="referral.cancel").exists()
    assert AuditEvent.objects.get(action="escalation.withdrawn").actor == nurse
    # the receiving hospital: among its cancelled referrals, no longer among the open ones
    op = client_as(network.people["alfa"])
    cancelled = op.get("/rujukan/masuk/?status=cancelled").content.decode()
    assert referral.number in cancelled
    assert referral.number not in op.get("/rujukan/masuk/?status=open").content.decode()
    # twice: one cancellation
    with pytest.raises(Conflict):
        homecare.withdraw_escalation(Actor(nurse, "web"), esc, "lagi")
    assert ReferralEvent.objects.filter(referral=referral, action="cancel").count() == 1


def test_a_referral_the_patient_arrived_on_is_not_withdrawn(home_visit):
    visit, nurse = home_visit
    esc, referral = _referral_escalation(home_visit)
    Referral.objects.filter(pk=referral.pk).update(status="arrived")
    with pytest.raises(Conflict) as exc:
        homecare.withdraw_escalation(Actor(nurse, "web"), esc, "salah")
    assert referral.number in exc.value.message
    esc.refresh_from_db()
    assert esc.status == "handed_over" and Referral.objects.get().status == "arrived"
    assert not AuditEvent.objects.filter(action="escalation.withdrawn").exists()
