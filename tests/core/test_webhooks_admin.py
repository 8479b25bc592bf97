"""Webhook endpoints in the admin (issue 17): the URL passes the SSRF check, the signing
secret is shown once (after adding, or after "new secret") and never shown back."""

import pytest
from django.urls import reverse

from sigap.core import webhooks
from sigap.core.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user, monkeypatch):
    table = {"partner.example": ["93.184.215.14"], "inside.example": ["10.0.0.8"]}
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: table.get(host) or [host])
    client.force_login(make_user("root", "admin", is_staff=True, is_superuser=True))
    return client


def form(url, name="polres"):
    return {"name": name, "url": url, "events": "[]", "is_active": "on", "owner_label": ""}


@pytest.mark.parametrize(
    "url", ["http://partner.example/x", "https://inside.example/x", "https://127.0.0.1/x"]
)
def test_unsafe_urls_are_refused(admin_client, url):
    r = admin_client.post(reverse("admin:core_webhookendpoint_add"), form(url))
    assert r.status_code == 200 and not WebhookEndpoint.objects.exists()


def test_secret_shown_once_and_never_back(admin_client):
    r = admin_client.post(
        reverse("admin:core_webhookendpoint_add"), form("https://partner.example/x"), follow=True
    )
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in r.content.decode()  # once, right after saving
    change = reverse("admin:core_webhookendpoint_change", args=[endpoint.pk])
    page = admin_client.get(change).content.decode()
    assert endpoint.secret not in page and 'name="secret"' not in page
    # editing keeps the secret
    admin_client.post(change, form("https://partner.example/y"))
    endpoint.refresh_from_db()
    old = endpoint.secret
    assert endpoint.url == "https://partner.example/y"
    r = admin_client.post(
        reverse("admin:core_webhookendpoint_changelist"),
        {"action": "new_secret", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in r.content.decode()
    assert endpoint.secret not in admin_client.get(change).content.decode()
