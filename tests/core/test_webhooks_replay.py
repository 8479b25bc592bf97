"""Replays inside the signature window (issue 17 Low): a signed call is accepted once; the
replay cache is Django's cache, shared by every process."""

import json
import time

import pytest
from django.test import Client

from sigap.core import webhooks
from sigap.core.models import WebhookEndpoint


@pytest.mark.django_db
def test_a_signature_is_accepted_once_per_scope():
    body, ts = b'{"a": 1}', str(int(time.time()))
    sig = webhooks.sign("s3cret", ts, body)
    assert webhooks.verify_signature("s3cret", body, ts, sig)  # no scope: no memory
    assert webhooks.verify_signature("s3cret", body, ts, sig)
    assert webhooks.verify_signature("s3cret", body, ts, sig, once="agency:1")
    assert not webhooks.verify_signature("s3cret", body, ts, sig, once="agency:1")  # replay
    assert webhooks.verify_signature("s3cret", body, ts, sig, once="agency:2")
    # a wrong signature is not remembered: the right one still passes afterwards
    assert not webhooks.verify_signature("s3cret", body, ts, "sha256=00", once="x")
    assert webhooks.verify_signature("s3cret", body, ts, sig, once="x")
    # another body under the same timestamp is another signature
    other = b'{"a": 2}'
    assert webhooks.verify_signature("s3cret", other, ts, webhooks.sign("s3cret", ts, other),
                                     once="agency:1")  # fmt: skip


@pytest.mark.django_db
def test_partner_status_replay_is_refused():
    from sigap.emergency.models import Agency

    ep = WebhookEndpoint.objects.create(name="damkar", url="https://damkar.example/", secret="k")
    agency = Agency.objects.create(area_code="3374", kind="fire", name="Damkar", webhook=ep)
    body = json.dumps({"incident": "PSC-TIDAK-ADA", "status": "berangkat"}).encode()
    ts = str(int(time.time()))
    path = f"/api/v1/emergency/partner/agencies/{agency.public_id}/status"

    def post():
        return Client().post(
            path,
            body,
            content_type="application/json",
            HTTP_X_SIGAP_TIMESTAMP=ts,
            HTTP_X_SIGAP_SIGNATURE=webhooks.sign("k", ts, body),
        )

    first = post()
    assert first.status_code == 404  # signature accepted; the incident does not exist
    again = post()
    assert again.status_code == 401 and again.json()["code"] == "not_authenticated"
