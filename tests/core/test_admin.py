import pytest
from django.contrib import admin
from django.urls import reverse


@pytest.mark.django_db
def test_every_admin_page_opens(client, make_user):
    """Smoke test: each registered model's list and add page answer without a server error."""
    client.force_login(make_user("root", "admin", is_staff=True, is_superuser=True))
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        add = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        assert add.status_code in (200, 403), meta.label


@pytest.mark.django_db
def test_audit_trail_is_browsable_but_not_editable(client, make_user):
    from sigap.core.models import AuditEvent
    from sigap.core.services import Actor, record_audit

    user = make_user("root", "admin", is_staff=True, is_superuser=True)
    ev = record_audit(Actor(user, "web"), "test.change", user, before={"a": 1}, after={"a": 2})
    client.force_login(user)
    r = client.get(reverse("admin:core_auditevent_changelist"))
    assert r.status_code == 200 and b"test.change" in r.content
    url = reverse("admin:core_auditevent_change", args=[ev.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"action": "tampered"})
    client.post(reverse("admin:core_auditevent_delete", args=[ev.pk]), {"post": "yes"})
    ev.refresh_from_db()
    assert ev.action == "test.change" and AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_admin_pages_ask_for_no_favicon(client, make_user):
    """The browser's /favicon.ico request 404ed on every admin page (a console error)."""
    client.force_login(make_user("root", "admin", is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:index")).content.decode()
    assert '<link rel="icon" href="data:,">' in html and "Django" in html
