"""Outbound webhooks cannot be aimed inside the network (SSRF, issue 17): https to public
addresses only, checked after DNS resolution at registration and again at delivery, and the
delivery connects to the address it checked (no DNS rebinding) without following redirects."""

import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from sigap.core import webhooks
from sigap.core.models import WebhookDelivery, WebhookEndpoint

PUBLIC = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch):
    """A resolver the test controls: names in the table answer their addresses; IP literals
    resolve as themselves; anything else does not resolve."""
    table: dict[str, list[str]] = {}
    calls: list[str] = []

    def resolve(host, port):
        calls.append(host)
        if host in table:
            return list(table[host])
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            raise socket.gaierror("no such host") from None

    monkeypatch.setattr(webhooks, "resolve", resolve)
    table["calls"] = calls  # the test reads which lookups happened
    return table


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.8.9.10/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "https://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
        "https://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "https://10.0.0.5/hook",
        "https://10.255.255.255/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",  # IPv6 unique local
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://0.0.0.0/hook",
        "https://[::]/hook",
        "https://224.0.0.1/hook",  # multicast
        "https://loopback.example/hook",  # a name resolving to loopback
        "https://private.example/hook",  # a name resolving to 10/8
        "https://mixed.example/hook",  # one public and one private answer
        "https://v6loop.example/hook",  # a name resolving to ::1
    ],
)
def test_non_public_addresses_are_refused(dns, url):
    dns["loopback.example"] = ["127.0.0.1"]
    dns["private.example"] = ["10.1.2.3"]
    dns["mixed.example"] = [PUBLIC, "192.168.0.7"]
    dns["v6loop.example"] = ["::1"]
    with pytest.raises(webhooks.UnsafeUrl):
        webhooks.check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://simrs.example/hook",  # plain http to a public address
        "ftp://simrs.example/hook",
        "https://user:pw@simrs.example/hook",
        "https://unknown.example/hook",  # does not resolve
        "https:///hook",
        "https://simrs.example:99999/hook",
    ],
)
def test_other_bad_urls_are_refused(dns, url):
    dns["simrs.example"] = [PUBLIC]
    with pytest.raises(webhooks.UnsafeUrl):
        webhooks.check_url(url)


def test_https_to_a_public_address_is_allowed(dns):
    dns["simrs.example"] = [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    target = webhooks.check_url("https://SIMRS.example./sigap/hook?rs=1")
    assert (target.scheme, target.host, target.port) == ("https", "simrs.example", 443)
    assert target.address == PUBLIC and target.path == "/sigap/hook?rs=1"
    assert webhooks.check_url(f"https://{PUBLIC}:8443/").port == 8443


def test_the_loopback_setting_allows_loopback_only(dns, settings):
    dns["partner.test"] = ["127.0.0.1"]
    dns["private.example"] = ["10.1.2.3"]
    dns["simrs.example"] = [PUBLIC]
    with pytest.raises(webhooks.UnsafeUrl):
        webhooks.check_url("http://127.0.0.1:8080/x")
    settings.SIGAP_WEBHOOK_ALLOW_LOOPBACK = True
    assert webhooks.check_url("http://127.0.0.1:8080/x").address == "127.0.0.1"
    assert webhooks.check_url("http://[::1]:8080/x").address == "::1"
    assert webhooks.check_url("http://partner.test:8080/x").address == "127.0.0.1"
    for still_refused in (
        "http://10.1.2.3/x",
        "https://private.example/x",
        "https://169.254.169.254/",
        "http://simrs.example/x",  # plain http leaves the machine: never
    ):
        with pytest.raises(webhooks.UnsafeUrl):
            webhooks.check_url(still_refused)


def test_trusted_networks_setting(dns, settings):
    dns["gateway.office"] = ["10.0.5.20"]
    with pytest.raises(webhooks.UnsafeUrl):
        webhooks.check_url("https://gateway.office/sms")
    settings.SIGAP_WEBHOOK_TRUSTED_NETWORKS = ["10.0.5.20/32", "not-a-network"]
    assert webhooks.check_url("https://gateway.office/sms").address == "10.0.5.20"
    with pytest.raises(webhooks.UnsafeUrl):
        webhooks.check_url("http://gateway.office/sms")  # still https
    with pytest.raises(webhooks.UnsafeUrl):
        webhooks.check_url("https://10.0.5.21/sms")


class Receiver:
    """A loopback HTTP server that records requests and answers with `code`."""

    def __init__(self, code=200, headers=()):
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, **dict(self.headers)})
                self.send_response(code)
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST  # noqa: N815 - a followed redirect would arrive here

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*args, **kwargs):
        made.append(Receiver(*args, **kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.mark.django_db
def test_delivery_refuses_an_endpoint_that_now_resolves_inside(dns, monkeypatch):
    """Registered while public, then the name moves to 169.254.169.254 (or a URL was typed
    into the admin): nothing is sent, the log says why and the delivery is retried later."""
    dns["simrs.example"] = [PUBLIC]
    endpoint = WebhookEndpoint.objects.create(name="rs", url="https://simrs.example/hook")
    sent = []
    monkeypatch.setattr(webhooks, "send", lambda *a, **k: sent.append(a) or (200, "ok"))
    dns["simrs.example"] = ["169.254.169.254"]
    delivery = webhooks.enqueue(endpoint, "referral.received", {"id": "x"})
    assert webhooks.deliver_due() == 1
    delivery.refresh_from_db()
    assert sent == [] and delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.attempts == 1 and delivery.last_error.startswith("refused")
    # back on a public address: the retry goes out, to the address just checked
    dns["simrs.example"] = [PUBLIC]
    webhooks.deliver_due(delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    (target, _body, headers) = sent[0]
    assert target.address == PUBLIC and target.host == "simrs.example"
    assert headers["X-Sigap-Event"] == "referral.received"


@pytest.mark.django_db
def test_delivery_connects_to_the_checked_address(dns, settings, receiver):
    """The name is looked up once per attempt and the connection goes to that address with
    the name as Host: `partner.test` exists only in the checked lookup, not in real DNS."""
    settings.SIGAP_WEBHOOK_ALLOW_LOOPBACK = True
    r = receiver()
    dns["partner.test"] = ["127.0.0.1"]
    endpoint = WebhookEndpoint.objects.create(
        name="p", url=f"http://partner.test:{r.port}/hook?x=1"
    )
    delivery = webhooks.enqueue(endpoint, "incident.handover", {"id": "1"})
    webhooks.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED, delivery.last_error
    assert dns["calls"] == ["partner.test"]
    assert r.requests[0]["path"] == "/hook?x=1"
    assert r.requests[0]["Host"] == f"partner.test:{r.port}"


@pytest.mark.django_db
def test_redirects_are_not_followed(dns, settings, receiver):
    settings.SIGAP_WEBHOOK_ALLOW_LOOPBACK = True
    inside = receiver()
    hop = receiver(302, headers=[("Location", f"http://127.0.0.1:{inside.port}/admin")])
    endpoint = WebhookEndpoint.objects.create(name="p", url=f"http://127.0.0.1:{hop.port}/")
    delivery = webhooks.enqueue(endpoint, "x", {})
    webhooks.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.last_status_code == 302
    assert len(hop.requests) == 1 and inside.requests == []


@pytest.mark.django_db
def test_loopback_delivery_is_refused_without_the_setting(dns, receiver):
    r = receiver()
    endpoint = WebhookEndpoint.objects.create(name="p", url=f"http://127.0.0.1:{r.port}/")
    delivery = webhooks.enqueue(endpoint, "x", {})
    webhooks.deliver_due()
    delivery.refresh_from_db()
    assert r.requests == [] and delivery.status == "pending"
    assert "refused" in delivery.last_error
