"""`sigap simulate referrals` drives the real services and prints a JSON summary last."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from sigap.core.models import AuditEvent
from sigap.referrals.models import Referral, ReferralEvent

pytestmark = pytest.mark.django_db


def test_simulation_sends_answers_and_closes(network):
    out = StringIO()
    call_command(
        "simulate", "referrals", "--count", "12", "--seed", "3", stdout=out, stderr=StringIO()
    )
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert {"referrals", "answered", "escalated", "errors"} <= set(summary)
    assert summary["referrals"] == Referral.objects.count() > 0
    assert summary["errors"] == 0
    assert summary["answered"] >= summary["accepted"] > 0
    assert summary["closed"] == Referral.objects.filter(status="closed").count()
    assert Referral.objects.filter(is_synthetic=True).count() == summary["referrals"]
    # every step through the one state machine, and audited
    moves = ReferralEvent.objects.exclude(action__in=("send", "update")).count()
    assert (
        AuditEvent.objects.filter(action__startswith="referral.")
        .exclude(action__in=("referral.send",))
        .count()
        >= moves
    )


def test_simulation_refuses_bad_counts(network):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("simulate", "referrals", "--count", "0", stdout=StringIO())
