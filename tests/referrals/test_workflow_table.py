"""The referral moves through core.workflow: one table (REFERRALS), read by the state view,
and an illegal action or a lost race refused with the workflow's 409 that writes nothing."""

import pytest

from sigap.core.errors import Conflict
from sigap.core.models import AuditEvent
from sigap.core.workflow import Workflow
from sigap.referrals import services
from sigap.referrals.models import Referral, ReferralEvent

from .conftest import as_, referral_input

pytestmark = pytest.mark.django_db


def test_the_table_is_a_workflow_by_action() -> None:
    table = services.REFERRALS
    assert isinstance(table, Workflow) and table.name == "referral"
    assert services.TRANSITIONS is table.actions
    assert table.can(Referral.Status.SENT, Referral.Status.ACCEPTED)
    assert not table.can(Referral.Status.CLOSED, Referral.Status.SENT)


def test_state_view_reads_the_table(network) -> None:
    r = services.send_referral(as_(network.people["pkm"]), referral_input(network))
    state = services.state_of(r)
    expected = {a for a, (src, _to) in services.REFERRALS.actions.items() if r.status in src}
    assert state.actions == expected and state.allows("accept") and not state.allows("close")


def test_move_audits_the_action_and_an_illegal_one_writes_nothing(network) -> None:
    r = services.send_referral(as_(network.people["pkm"]), referral_input(network))
    r = services.answer_referral(as_(network.people["alfa"]), r, accept=True)
    audit = AuditEvent.objects.filter(action="referral.accept").get()
    assert audit.before == {"status": "sent"} and audit.after["status"] == "accepted"
    events = ReferralEvent.objects.count()
    with pytest.raises(Conflict) as caught:
        services.close_referral(as_(network.people["alfa"]), r, back_referral="kontrol")
    assert caught.value.status == 409 and caught.value.code == "illegal_transition"
    r.refresh_from_db()
    assert r.status == "accepted" and ReferralEvent.objects.count() == events
    assert not AuditEvent.objects.filter(action="referral.close").exists()


def test_a_move_from_a_stale_copy_is_the_workflows_stale_conflict(network) -> None:
    from django.utils import timezone

    from sigap.referrals.services.workflow import _move

    r = services.send_referral(as_(network.people["pkm"]), referral_input(network))
    stale_copy = Referral.objects.get(pk=r.pk)
    services.answer_referral(as_(network.people["alfa"]), r, accept=False, note="penuh")
    events = ReferralEvent.objects.count()
    with pytest.raises(Conflict) as caught:
        _move(as_(network.people["alfa"]), stale_copy, "accept", now=timezone.now())
    assert caught.value.status == 409 and caught.value.code == "stale"
    assert Referral.objects.get(pk=r.pk).status == "rejected"
    assert ReferralEvent.objects.count() == events


def test_the_api_answers_a_second_answer_with_illegal_transition(client, network) -> None:
    r = services.send_referral(as_(network.people["pkm"]), referral_input(network))
    client.force_login(network.people["alfa"])
    url = f"/api/v1/referrals/referrals/{r.public_id}/answer"
    first = client.post(url, {"accept": True}, content_type="application/json")
    assert first.status_code == 200
    again = client.post(url, {"accept": False, "note": "x"}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition" and again.json()["message"]
    assert Referral.objects.get(pk=r.pk).status == "accepted"
