"""Per-facility SIMRS webhooks: every event of a referral reaches the SIMRS of its sender and
of its receiver as a signed call (sigap.core.webhooks), and nobody else's; the call carries
ids and status only, never personal data, and goes to public https addresses only."""

import json

import pytest
from django.test import Client

from sigap.core import webhooks
from sigap.core.errors import Forbidden, InvalidInput
from sigap.core.models import AuditEvent, WebhookDelivery
from sigap.referrals import services
from sigap.referrals.models import FacilityWebhook
from sigap.referrals.signals import referral_moved

from .conftest import NIK, as_, referral_input

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_dns")]
# what a webhook call may carry: ids and status, no NIK, name, address, JKN number or notes
MINIMAL_KEYS = {"nomor", "id", "action", "status", "at", "detail", "facility_role"}


@pytest.fixture
def hooks(network):
    net = network
    out = {}
    for key, facility, user in (
        ("alfa", net.alfa, "alfa"),
        ("beta", net.beta, "beta"),
        ("gamma", net.gamma, "gamma"),
        ("pkm", net.pkm, "pkm"),
    ):
        _hook, secret = services.register_webhook(
            as_(net.people[user]), facility, f"https://simrs-{key}.example/sigap"
        )
        out[key] = secret
    return out


def bodies(facility) -> list[dict]:
    return [
        json.loads(d.body)
        for d in WebhookDelivery.objects.filter(
            endpoint__referral_facility__facility=facility
        ).order_by("pk")
    ]


def test_events_reach_sender_and_receiver_only(network, hooks):
    net = network
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    got = bodies(net.alfa)
    assert [b["event"] for b in got] == ["referral.received"]
    data = got[0]["data"]
    assert data["nomor"] == r.number and data["facility_role"] == "receiver"
    assert set(data) == MINIMAL_KEYS and data["id"] == str(r.public_id)
    assert [b["event"] for b in bodies(net.pkm)] == ["referral.received"]
    assert bodies(net.pkm)[0]["data"]["facility_role"] == "sender"

    # reject -> redirect to Beta: Beta hears of it from then on, Gamma never
    r = services.answer_referral(as_(net.people["alfa"]), r, accept=False, note="penuh")
    r = services.redirect_referral(as_(net.people["pkm"]), r, net.beta)
    r = services.answer_referral(as_(net.people["beta"]), r, accept=True)
    r = services.record_arrival(as_(net.people["beta"]), r)
    services.close_referral(as_(net.people["beta"]), r, back_referral="Kontrol 1 minggu")
    assert [b["event"] for b in bodies(net.alfa)] == ["referral.received", "referral.rejected"]
    assert [b["event"] for b in bodies(net.beta)] == [
        "referral.redirected",
        "referral.accepted",
        "referral.arrived",
        "referral.closed",
    ]
    pkm_events = [b["event"] for b in bodies(net.pkm)]
    assert pkm_events == [
        "referral.received",
        "referral.rejected",
        "referral.redirected",
        "referral.accepted",
        "referral.arrived",
        "referral.closed",
    ]
    closed = bodies(net.pkm)[-1]["data"]
    assert closed["status"] == "closed" and set(closed) == MINIMAL_KEYS
    # privacy: the hospital that never had the referral got nothing
    assert bodies(net.gamma) == []


def test_a_rolled_back_move_sends_nothing(network, hooks):
    """The delivery is written in the moving transaction: when a later listener fails, the
    move and its webhook go together."""
    net = network
    r = services.send_referral(as_(net.people["pkm"]), referral_input(net))
    before = WebhookDelivery.objects.count()

    def boom(**kwargs):
        raise RuntimeError("listener failed")

    referral_moved.connect(boom, dispatch_uid="test-boom")
    try:
        with pytest.raises(RuntimeError):
            services.answer_referral(as_(net.people["alfa"]), r, accept=True)
    finally:
        referral_moved.disconnect(dispatch_uid="test-boom")
    assert WebhookDelivery.objects.count() == before
    r.refresh_from_db()
    assert r.status == "sent"


def test_the_delivery_is_signed_and_verifies(network, hooks, monkeypatch):
    net = network
    services.send_referral(as_(net.people["pkm"]), referral_input(net))
    seen = []

    def fake_send(target, body, headers):
        seen.append((target, body, headers))
        return 200, "ok"

    monkeypatch.setattr(webhooks, "send", fake_send)
    assert webhooks.deliver_due() == 2  # Alfa's and the Puskesmas' SIMRS
    target, body, headers = next(s for s in seen if s[0].host == "simrs-alfa.example")
    assert (target.scheme, target.path, target.address) == ("https", "/sigap", "93.184.215.14")
    assert headers["X-Sigap-Event"] == "referral.received"
    ts, sig = headers["X-Sigap-Timestamp"], headers["X-Sigap-Signature"]
    assert webhooks.verify_signature(hooks["alfa"], body, ts, sig)
    assert not webhooks.verify_signature(hooks["beta"], body, ts, sig)
    assert WebhookDelivery.objects.filter(status="delivered").count() == 2


def test_registration_rules(network, hooks):
    net = network
    # only the facility's operator (or an admin); a new registration replaces URL and secret
    with pytest.raises(Forbidden):
        services.register_webhook(as_(net.people["beta"]), net.alfa, "https://evil.example/")
    with pytest.raises(InvalidInput):
        services.register_webhook(as_(net.people["alfa"]), net.alfa, "ftp://simrs/")
    _hook, secret = services.register_webhook(
        as_(net.people["alfa"]), net.alfa, "https://simrs-alfa.example/v2"
    )
    assert secret != hooks["alfa"]
    hook = FacilityWebhook.objects.get(facility=net.alfa)
    assert hook.endpoint.url == "https://simrs-alfa.example/v2" and hook.endpoint.secret == secret
    audit = AuditEvent.objects.filter(action="referral_webhook.register").last()
    assert secret not in json.dumps(audit.after)
    services.remove_webhook(as_(net.people["alfa"]), net.alfa)
    assert not FacilityWebhook.objects.filter(facility=net.alfa).exists()


def test_api_and_page(network):
    net = network
    c = Client()
    c.force_login(net.people["alfa"])
    r = c.put(
        "/api/v1/referrals/webhook",
        data=json.dumps({"facility": str(net.alfa.public_id), "url": "https://simrs.example/x"}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    secret = r.json()["secret"]
    assert secret and "referral.received" in r.json()["events"]
    got = c.get("/api/v1/referrals/webhook", {"facility": str(net.alfa.public_id)}).json()
    assert got["url"] == "https://simrs.example/x" and got["secret"] is None
    # another hospital's operator cannot read or change it
    other = Client()
    other.force_login(net.people["beta"])
    r = other.get("/api/v1/referrals/webhook", {"facility": str(net.alfa.public_id)})
    assert r.status_code == 403
    # the settings page: the secret is shown once, after registering
    page = c.get("/rujukan/pengaturan/").content.decode()
    assert "https://simrs.example/x" in page and secret not in page
    r = c.post(
        "/rujukan/pengaturan/",
        {"facility": str(net.alfa.public_id), "url": "https://simrs.example/y", "action": "x"},
    )
    new_secret = FacilityWebhook.objects.get(facility=net.alfa).endpoint.secret
    assert r.status_code == 200 and new_secret in r.content.decode()
    assert new_secret not in c.get("/rujukan/pengaturan/").content.decode()
    r = c.post("/rujukan/pengaturan/", {"facility": str(net.alfa.public_id), "action": "remove"})
    assert r.status_code == 302 and not FacilityWebhook.objects.exists()
    r = c.delete(f"/api/v1/referrals/webhook?facility={net.alfa.public_id}")
    assert r.status_code == 404


def test_no_personal_data_leaves_in_a_webhook(network, hooks):
    """Issue 17: the calls carried NIK, name, address and JKN number. Now none of the
    patient's (or staff's) data is in any delivery body of any event."""
    net = network
    data = referral_input(net)
    r = services.send_referral(as_(net.people["pkm"]), data)
    r = services.answer_referral(as_(net.people["alfa"]), r, accept=True, note="Siap")
    r = services.record_arrival(as_(net.people["alfa"]), r)
    services.close_referral(as_(net.people["alfa"]), r, back_referral="Kontrol 1 minggu")
    r.refresh_from_db()
    secrets_ = [r.patient_nik, r.patient_name, r.patient_jkn, r.patient_address]
    secrets_ += [r.patient_contact, r.anamnesis, "Kontrol 1 minggu", NIK]
    secrets_ = [v for v in secrets_ if v]
    assert len(secrets_) >= 5
    deliveries = list(WebhookDelivery.objects.all())
    assert len(deliveries) == 8  # 4 events x (sender + receiver)
    for d in deliveries:
        assert set(json.loads(d.body)["data"]) == MINIMAL_KEYS
        for value in secrets_:
            assert value not in d.body, (d.event, value)


def test_the_receiver_fetches_details_with_its_key(network, hooks):
    """The documented flow: the SIMRS reads `detail` from the call and fetches the referral
    with its own credentials; another hospital's operator may not."""
    net = network
    services.send_referral(as_(net.people["pkm"]), referral_input(net))
    data = bodies(net.alfa)[0]["data"]
    c = Client()
    c.force_login(net.people["alfa"])
    got = c.get(data["detail"])
    assert got.status_code == 200 and got.json()["number"] == data["nomor"]
    other = Client()
    other.force_login(net.people["gamma"])
    assert other.get(data["detail"]).status_code in (403, 404)
    assert Client().get(data["detail"]).status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/sigap",
        "https://127.0.0.1/sigap",
        "https://[::1]/sigap",
        "https://10.20.30.40/sigap",
        "https://169.254.169.254/latest/meta-data/",
        "https://intranet.example/sigap",  # a name that resolves to loopback
        "http://simrs-alfa.example/sigap",  # plain http to a public address
    ],
)
def test_registration_refuses_internal_or_plain_http(network, public_dns, url):
    net = network
    public_dns["intranet.example"] = ["127.0.0.1"]
    with pytest.raises(InvalidInput) as err:
        services.register_webhook(as_(net.people["alfa"]), net.alfa, url)
    assert err.value.field == "url"
    assert not FacilityWebhook.objects.exists()
    c = Client()
    c.force_login(net.people["alfa"])
    r = c.put(
        "/api/v1/referrals/webhook",
        data=json.dumps({"facility": str(net.alfa.public_id), "url": url}),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "url"
    assert not FacilityWebhook.objects.exists()


def test_a_refused_replacement_keeps_the_registered_url(network, hooks):
    net = network
    with pytest.raises(InvalidInput):
        services.register_webhook(as_(net.people["alfa"]), net.alfa, "https://10.0.0.1/")
    hook = FacilityWebhook.objects.get(facility=net.alfa)
    assert hook.endpoint.url == "https://simrs-alfa.example/sigap"
    assert hook.endpoint.secret == hooks["alfa"]


def test_loopback_http_with_the_demo_setting(network, settings):
    net = network
    settings.SIGAP_WEBHOOK_ALLOW_LOOPBACK = True
    hook, _secret = services.register_webhook(
        as_(net.people["alfa"]), net.alfa, "http://127.0.0.1:18080/sigap"
    )
    assert hook.endpoint.url == "http://127.0.0.1:18080/sigap"
    with pytest.raises(InvalidInput):
        services.register_webhook(as_(net.people["alfa"]), net.alfa, "http://10.0.0.1/")
