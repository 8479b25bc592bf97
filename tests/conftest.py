"""Shared fixtures: users of every role, an API client, and headless Chromium."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told that this is deliberate (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("SIGAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Tests create hundreds of users: hash their passwords cheaply (the production hasher
    stays second, so hashes made by it still verify)."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Keep the serialized migration data reachable from every connection object.

    Once Playwright's sync API runs an event loop in the test thread, Django's connection
    handler (an asgiref Local) hands out new connection objects without
    `_test_serialized_contents`, so `serialized_rollback` would restore nothing and the
    reference data from migrations would be gone after the first browser test."""
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            type(connections[alias])._test_serialized_contents = contents


REFERENCE_MIGRATIONS = [
    "sigap.facilities.migrations.0002_reference_data",
    "sigap.beds.migrations.0003_reference_data",
    "sigap.homecare.migrations.0002_target_groups",
    "sigap.referrals.migrations.0002_reference_data",
]


def ensure_reference_data() -> None:
    """Reload the reference data that data migrations load, when a transactional test's
    flush has removed it (facility kinds, services, bed classes, SIRS types, board state,
    home-care target groups, referral reasons)."""
    import importlib

    from django.apps import apps

    from sigap.beds.models import BedClass, BoardState
    from sigap.facilities.models import FacilityKind
    from sigap.homecare.models import TargetGroup
    from sigap.referrals.models import ReferralReason

    loaded = (FacilityKind, BedClass, BoardState, TargetGroup, ReferralReason)
    if all(model.objects.exists() for model in loaded):
        return
    for name in REFERENCE_MIGRATIONS:
        importlib.import_module(name).load(apps, None)


@pytest.fixture(autouse=True)
def reference_data(request):
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if not (marker or names & {"db", "transactional_db", "live_server"}):
        yield
        return
    transactional = bool(names & {"transactional_db", "live_server"}) or bool(
        marker and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_reference_data()
    # rate limits and login locks live in the cache: each test starts with none
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def make_user(db):
    from sigap.core.models import User

    def make(
        username: str, role: str, *, area_code: str = "", password: str = "rahasia-uji-123", **kw
    ):
        user = User.objects.create_user(
            username=username, password=password, role=role, area_code=area_code, **kw
        )
        return user

    return make


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("SIGAP_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM} but SIGAP_REQUIRE_BROWSER is set")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="id-ID")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


@pytest.fixture
def console_errors(page):
    """The page's console errors; a test fails on a Content Security Policy violation."""
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield errors
    csp = [e for e in errors if "Content Security Policy" in e or "Content-Security-Policy" in e]
    assert not csp, csp
