"""ASVS chapter 2 and 3 on SIGAP's own settings: idle and absolute session limits, password
length, failed logins per address, the demo key outside the demo, HTTPS by default."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from sigap.core import checks, middleware

PASSWORD = "rahasia-uji-123"


@pytest.fixture
def officer(make_user):
    return make_user("ani.dinkes", "analyst", area_code="3374", password=PASSWORD)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _login(client: Client, username: str, password: str = PASSWORD, ip: str = "10.9.8.7"):
    return client.post("/masuk/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_a_session_idle_longer_than_the_limit_is_logged_out(client, officer, settings, monkeypatch):
    settings.SIGAP_SESSION_IDLE_MINUTES = 30
    client.force_login(officer)
    clock = [1_000_000.0]
    monkeypatch.setattr(middleware.time, "time", lambda: clock[0])
    client.get("/notifikasi/")
    assert _logged_in(client)
    clock[0] += 29 * 60  # within the limit: still in, and the last-seen time moves on
    client.get("/notifikasi/")
    assert _logged_in(client)
    clock[0] += 29 * 60  # 58 min after login but 29 min after the last request
    client.get("/notifikasi/")
    assert _logged_in(client)
    clock[0] += 30 * 60 + 1
    r = client.get("/notifikasi/")
    assert not _logged_in(client)
    assert r.status_code == 302 and "/masuk/" in r["Location"]


def test_sessions_have_an_absolute_age_of_twelve_hours(client, officer):
    client.force_login(officer)
    assert client.session.get_expiry_age() == 12 * 3600


@pytest.mark.parametrize(
    ("password", "ok"),
    [("Kuat-sekali", False), ("Kuat-sekali1", True), ("a-much-longer-one!", True)],
)
def test_passwords_need_twelve_characters(password, ok, db):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_one_address_spraying_many_usernames_is_locked(make_user, settings):
    settings.SIGAP_LOGIN_ADDRESS_FAILURE_LIMIT = 10
    make_user("sari.rs", "hospital_operator", password=PASSWORD)
    sprayer = Client()
    for i in range(10):  # one guess per username: django-axes alone never locks these
        r = _login(sprayer, f"petugas{i}", "tebakan-1")
        assert r.status_code == 200
    # the 11th failure locks the address, then even a right password is refused from it
    _login(sprayer, "petugas10", "tebakan-1")
    r = _login(sprayer, "sari.rs")
    assert r.status_code == 429
    assert not _logged_in(sprayer)
    # another address is not locked by this one's failures
    elsewhere = Client()
    _login(elsewhere, "sari.rs", ip="10.9.8.8")
    assert _logged_in(elsewhere)


def test_failures_below_the_address_limit_do_not_lock(make_user, settings):
    settings.SIGAP_LOGIN_ADDRESS_FAILURE_LIMIT = 10
    make_user("sari.rs", "hospital_operator", password=PASSWORD)
    c = Client()
    for i in range(10):
        _login(c, f"petugas{i}", "tebakan-1")
    _login(c, "sari.rs")
    assert _logged_in(c)


def test_serve_refuses_the_demo_key_outside_the_demo(settings):
    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    with pytest.raises(CommandError, match="SIGAP_SECRET_KEY"):
        call_command("serve", port=0)


def test_deploy_check_reports_the_demo_key(settings):
    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    assert [m.id for m in checks.demo_secret_key()] == ["sigap.E001"]
    settings.SECRET_KEY = "a-deployment-key-" + "x" * 40
    assert checks.demo_secret_key() == []


def _settings_in_subprocess(env: dict[str, str]) -> list[str]:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='sigap.settings'; "
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SIGAP_")}
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_a_deployment_with_its_own_key_gets_https_settings_by_default():
    assert _settings_in_subprocess({"SIGAP_SECRET_KEY": "k" * 50}) == [
        "True", "True", "True", "31536000"
    ]  # fmt: skip
    # the demo (no key) serves plain http on loopback; a deployment may opt out explicitly
    assert _settings_in_subprocess({}) == ["False", "False", "False", "0"]
    opt_out = {"SIGAP_SECRET_KEY": "k" * 50, "SIGAP_HTTPS": "false"}
    assert _settings_in_subprocess(opt_out) == ["False", "False", "False", "0"]
