import pytest
from django.core.management import call_command

from sigap.core.errors import Forbidden, NotAuthenticated
from sigap.core.models import ApiKey, AuditEvent, Role
from sigap.core.services import (
    Actor,
    authenticate_api_key,
    record_audit,
    require_area,
    require_role,
)


def test_require_role_and_admin_passes(make_user):
    analyst = make_user("ana", Role.ANALYST, area_code="3374")
    admin = make_user("adm", Role.ADMIN)
    assert require_role(Actor(analyst, "web"), Role.ANALYST) == analyst
    assert require_role(Actor(admin, "web"), Role.ANALYST) == admin
    with pytest.raises(Forbidden):
        require_role(Actor(analyst, "web"), Role.DISPATCHER)
    with pytest.raises(NotAuthenticated):
        require_role(Actor(None, "web"), Role.ANALYST)


def test_area_scope_is_a_code_prefix(make_user):
    user = make_user("kota", Role.ANALYST, area_code="3374")
    require_area(Actor(user, "web"), "3374011001")
    with pytest.raises(Forbidden):
        require_area(Actor(user, "web"), "3371011001")
    national = make_user("pusat", Role.ANALYST)
    require_area(Actor(national, "web"), "9171011001")


def test_api_key_authenticates_until_revoked(make_user, capsys):
    user = make_user("simrs", Role.HOSPITAL_OPERATOR)
    call_command("apikey", "create", "simrs", "SIMRS uji")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("sgp_")
    key = ApiKey.objects.get()
    assert raw not in key.key_hash  # only a hash is stored
    assert authenticate_api_key(raw) == user
    assert authenticate_api_key(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert authenticate_api_key("nonsense") is None
    call_command("apikey", "revoke", key.prefix)
    assert authenticate_api_key(raw) is None
    assert AuditEvent.objects.filter(action__startswith="api_key.").count() == 2


def test_inactive_user_key_is_refused(make_user):
    user = make_user("gone", Role.HOSPITAL_OPERATOR)
    _, raw = ApiKey.generate(user, "x")
    user.is_active = False
    user.save()
    assert authenticate_api_key(raw) is None


def test_audit_record_names_actor_and_object(make_user):
    user = make_user("ops", Role.ADMIN)
    ev = record_audit(
        Actor(user, "web", remote_addr="127.0.0.1"), "user.update", user,
        before={"role": "public"}, after={"role": "admin"},
    )  # fmt: skip
    assert ev.actor == user and ev.actor_label == "ops" and ev.channel == "web"
    assert ev.object_type == "core.user" and ev.object_id == str(user.public_id)
    assert ev.before == {"role": "public"} and ev.after == {"role": "admin"}


def test_api_errors_have_code_message_field(client):
    r = client.get("/api/v1/public/beds?lat=100&lon=0")
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"code", "message", "field"} and body["field"] == "lat"
    r = client.get("/api/does-not-exist")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


@pytest.mark.django_db
def test_pages_are_indonesian_whatever_the_browser_asks(client):
    r = client.get("/masuk/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert r.headers["Content-Language"] == "id"
    client.post("/i18n/setlang/", {"language": "en", "next": "/masuk/"})
    r = client.get("/masuk/", HTTP_ACCEPT_LANGUAGE="id")
    assert r.headers["Content-Language"] == "en"


@pytest.mark.django_db
def test_audit_texts_are_cut_to_their_columns():
    """A label or id longer than its column is cut to the column's length (read from the
    model), never refused by the database."""
    from sigap.core.text import max_length

    actor = Actor(None, "cli", label="x" * 400)
    event = record_audit(actor, "test.long", object_type="t", object_id="1," * 100,
                         object_label="L" * 600)  # fmt: skip
    event.refresh_from_db()
    assert len(event.object_id) == max_length(AuditEvent, "object_id")
    assert len(event.object_label) == max_length(AuditEvent, "object_label")
    assert len(event.actor_label) == max_length(AuditEvent, "actor_label")
    short = record_audit(Actor(None, "cli"), "test.short", object_type="t", object_id="7")
    assert (short.object_id, short.object_label) == ("7", "")
