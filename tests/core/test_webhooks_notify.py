"""Signed webhooks with retries, and notifications (in-app and outbound channels)."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from sigap.core import notify, webhooks
from sigap.core.errors import InvalidInput, NotFound
from sigap.core.models import Notification, OutboundMessage, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback_partners(settings):
    """These partners listen on loopback over plain http: the demo/test setting allows it
    (sigap.core.webhooks.check_url; production refuses both)."""
    settings.SIGAP_WEBHOOK_ALLOW_LOOPBACK = True


class Partner:
    """A partner system on localhost that answers with the queued status codes."""

    def __init__(self, codes: list[int]):
        self.codes = list(codes)
        self.received: list[tuple[dict, bytes]] = []
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                partner.received.append((dict(self.headers), body))
                self.send_response(partner.codes.pop(0) if partner.codes else 200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def partner():
    servers = []

    def make(codes=()):
        p = Partner(list(codes))
        servers.append(p)
        return p

    yield make
    for p in servers:
        p.close()


def test_delivery_is_signed_and_verifiable(partner):
    p = partner()
    endpoint = WebhookEndpoint.objects.create(name="polisi", url=p.url)
    delivery = webhooks.enqueue(endpoint, "incident.handover", {"id": "x1"}, ref="inc:1")
    assert webhooks.deliver_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 1
    headers, body = p.received[0]
    assert headers["X-Sigap-Event"] == "incident.handover"
    assert json.loads(body)["data"] == {"id": "x1"}
    assert webhooks.verify_signature(
        endpoint.secret, body, headers["X-Sigap-Timestamp"], headers["X-Sigap-Signature"]
    )
    assert not webhooks.verify_signature(
        "wrong", body, headers["X-Sigap-Timestamp"], headers["X-Sigap-Signature"]
    )
    assert not webhooks.verify_signature(
        endpoint.secret, body + b" ", headers["X-Sigap-Timestamp"], headers["X-Sigap-Signature"]
    )


def test_old_timestamps_are_refused():
    body = b"{}"
    ts = str(int(time.time()) - 3600)
    assert not webhooks.verify_signature("s", body, ts, webhooks.sign("s", ts, body))
    assert not webhooks.verify_signature("s", body, "not-a-number", "sha256=00")


def test_failures_are_retried_with_back_off_then_given_up(partner):
    p = partner([500, 503])
    endpoint = WebhookEndpoint.objects.create(name="damkar", url=p.url)
    delivery = webhooks.enqueue(endpoint, "incident.handover", {"id": 1})
    now = timezone.now()
    webhooks.deliver_due(now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    assert webhooks.deliver_due(now + timedelta(seconds=10)) == 0  # not yet due
    webhooks.deliver_due(now + timedelta(seconds=31))
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status_code == 503
    webhooks.deliver_due(delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 3

    dead = WebhookEndpoint.objects.create(name="mati", url="http://127.0.0.1:9/nothing")
    lost = webhooks.enqueue(dead, "x", {})
    for _ in range(webhooks.MAX_ATTEMPTS):
        lost.refresh_from_db()
        webhooks.deliver_due(lost.next_attempt_at)
    lost.refresh_from_db()
    assert lost.status == "failed" and lost.attempts == webhooks.MAX_ATTEMPTS
    assert lost.last_error


def test_inactive_or_uninterested_endpoints_get_nothing():
    off = WebhookEndpoint.objects.create(name="off", url="http://127.0.0.1:9/", is_active=False)
    picky = WebhookEndpoint.objects.create(name="picky", url="http://127.0.0.1:9/", events=["a"])
    assert webhooks.enqueue(off, "a", {}) is None
    assert webhooks.enqueue(picky, "b", {}) is None
    assert webhooks.enqueue(picky, "a", {}) is not None


def test_in_app_notifications(make_user, client):
    a, b = make_user("a", "analyst"), make_user("b", "analyst")
    assert notify.notify([a, b, a, None], kind="referral.new", title="Rujukan baru", link="/x") == 2
    assert notify.unread_count(a) == 1
    client.force_login(a)
    page = client.get("/notifikasi/")
    assert page.status_code == 200 and "Rujukan baru" in page.content.decode()
    assert client.post("/notifikasi/").status_code == 302
    assert notify.unread_count(a) == 0 and notify.unread_count(b) == 1
    client.logout()
    assert client.get("/notifikasi/").status_code == 302  # to the login page


def test_outbound_channels(partner, settings):
    msg = notify.send_external("sms", "081234567890", "Ambulans menuju lokasi", ref="inc:1")
    assert msg.backend == "console" and OutboundMessage.objects.count() == 1
    with pytest.raises(InvalidInput):
        notify.send_external("pigeon", "x", "y")
    with pytest.raises(InvalidInput):
        notify.send_external("sms", "", "y")
    with pytest.raises(NotFound):
        notify.send_external("webhook", "nobody", "y")

    p = partner()
    WebhookEndpoint.objects.create(name="sms-gateway", url=p.url)
    settings.SIGAP_NOTIFY_CHANNELS = {
        **settings.SIGAP_NOTIFY_CHANNELS,
        "sms": {"BACKEND": "sigap.core.notify.HttpGatewayBackend", "ENDPOINT": "sms-gateway"},
    }
    sent = notify.send_external("sms", "081234567890", "Rujukan diterima")
    assert sent.backend == "gateway" and sent.delivery is not None
    webhooks.deliver_due()
    body = json.loads(p.received[0][1])
    assert body["event"] == "message.sms"
    assert body["data"] == {"to": "081234567890", "text": "Rujukan diterima"}
    assert Notification.objects.count() == 0
