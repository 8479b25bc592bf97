"""Secrets at rest (issue 17, Low): Aplicare and webhook secrets and the SIRS/SISRUTE password
MD5s are stored encrypted with a key from the environment, read back in clear by the code
that checks signatures, and never shown back in the admin; delivery bodies in the admin carry
masked NIKs only."""

import hashlib
import io

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from sigap.beds.models import AplicareCredential, SirsCredential
from sigap.core import checks, fields
from sigap.core.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from sigap.referrals.models import SisruteCredential
from tests.beds.conftest import make_hospital, semarang  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

MD5 = hashlib.md5(b"kata-sandi-uji", usedforsecurity=False).hexdigest()
NIK = "3374014101900001"  # NIK-shaped, synthetic


def stored(model, pk: int, column: str) -> str:
    """The column as the database holds it, past the model field."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cur.fetchone()[0]


@pytest.fixture
def credentials(make_hospital):  # noqa: F811 - pytest fixture injection
    h = make_hospital("RS Alfa")
    url = "https://simrs.example/"
    return {
        "aplicare": AplicareCredential.objects.create(
            facility=h, cons_id="1001", secret="apl-rahasia"
        ),
        "sirs": SirsCredential.objects.create(facility=h, rs_id="3374001", password_md5=MD5),
        "sisrute": SisruteCredential.objects.create(facility=h, cons_id="SR1", password_md5=MD5),
        "webhook": WebhookEndpoint.objects.create(name="simrs", url=url, secret="wh-rahasia"),
    }


COLUMNS = [
    ("aplicare", "secret", "apl-rahasia"),
    ("sirs", "password_md5", MD5),
    ("sisrute", "password_md5", MD5),
    ("webhook", "secret", "wh-rahasia"),
]


@pytest.mark.parametrize(("kind", "column", "plain"), COLUMNS)
def test_column_holds_ciphertext_and_reads_back_clear(credentials, kind, column, plain):
    obj = credentials[kind]
    raw = stored(type(obj), obj.pk, column)
    assert plain not in raw and raw.startswith("gAAAAA")  # a Fernet token
    assert getattr(type(obj).objects.get(pk=obj.pk), column) == plain
    assert type(obj).objects.values_list(column, flat=True).get(pk=obj.pk) == plain
    # an update through the queryset encrypts as well
    type(obj).objects.filter(pk=obj.pk).update(**{column: "baru"})
    assert "baru" not in stored(type(obj), obj.pk, column)
    assert getattr(type(obj).objects.get(pk=obj.pk), column) == "baru"


def test_secret_columns_cannot_be_compared_in_sql(credentials):
    with pytest.raises(FieldError):
        AplicareCredential.objects.filter(secret="apl-rahasia").exists()
    assert AplicareCredential.objects.filter(secret__isnull=False).count() == 1


def test_key_rotation(monkeypatch, make_hospital):  # noqa: F811 - pytest fixture injection
    monkeypatch.setenv(fields.ENV_VAR, "kunci-lama-" + "x" * 40)
    cred = AplicareCredential.objects.create(
        facility=make_hospital("RS Beta"), cons_id="2002", secret="rahasia-lama"
    )
    old_token = stored(AplicareCredential, cred.pk, "secret")
    # a new key in front: the old one still decrypts, new writes use the new one
    monkeypatch.setenv(fields.ENV_VAR, "kunci-baru-" + "y" * 40 + ", kunci-lama-" + "x" * 40)
    assert AplicareCredential.objects.get(pk=cred.pk).secret == "rahasia-lama"
    # without the old key the old token is unreadable: refused, never returned as is
    monkeypatch.setenv(fields.ENV_VAR, "kunci-baru-" + "y" * 40)
    with pytest.raises(ValueError, match=fields.ENV_VAR):
        AplicareCredential.objects.get(pk=cred.pk)
    # `sigap rotatefieldkeys` re-encrypts every row with the first key; then the old can go
    monkeypatch.setenv(fields.ENV_VAR, "kunci-baru-" + "y" * 40 + ",kunci-lama-" + "x" * 40)
    out = io.StringIO()
    call_command("rotatefieldkeys", stdout=out)
    assert "rows re-encrypted" in out.getvalue()
    monkeypatch.setenv(fields.ENV_VAR, "kunci-baru-" + "y" * 40)
    assert stored(AplicareCredential, cred.pk, "secret") != old_token
    assert AplicareCredential.objects.get(pk=cred.pk).secret == "rahasia-lama"
    assert AuditEvent.objects.filter(action="field_keys.rotate").exists()


def test_deploy_check_wants_field_keys_in_production(monkeypatch, settings):
    monkeypatch.delenv(fields.ENV_VAR, raising=False)
    assert checks.field_keys() == []  # the demo key: the derived key is acceptable
    with override_settings(SECRET_KEY="produksi-" + "z" * 50):
        assert [m.id for m in checks.field_keys()] == ["sigap.E002"]
        monkeypatch.setenv(fields.ENV_VAR, "kunci-" + "k" * 40)
        assert checks.field_keys() == []


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", "admin", is_staff=True, is_superuser=True))
    return client


ADMIN_PAGES = [
    ("aplicare", "beds_aplicarecredential", "apl-rahasia"),
    ("sirs", "beds_sirscredential", MD5),
    ("sisrute", "referrals_sisrutecredential", MD5),
    ("webhook", "core_webhookendpoint", "wh-rahasia"),
]


@pytest.mark.parametrize(("kind", "name", "plain"), ADMIN_PAGES)
def test_admin_never_shows_a_secret_back(admin_client, credentials, kind, name, plain):
    obj = credentials[kind]
    for url in (
        reverse(f"admin:{name}_changelist"),
        reverse(f"admin:{name}_change", args=[obj.pk]),
    ):
        r = admin_client.get(url)
        assert r.status_code == 200
        html = r.content.decode()
        assert plain not in html
        assert 'name="secret"' not in html and 'name="password_md5"' not in html


def test_admin_sets_a_new_sirs_password_without_showing_it(admin_client, credentials):
    cred = credentials["sirs"]
    change = reverse("admin:beds_sirscredential_change", args=[cred.pk])
    form = {"facility": cred.facility_id, "rs_id": cred.rs_id, "is_active": "on"}
    admin_client.post(change, form | {"new_password": ""})
    assert SirsCredential.objects.get(pk=cred.pk).password_md5 == MD5  # empty keeps it
    admin_client.post(change, form | {"new_password": "sandi-baru-123"})
    digest = hashlib.md5(b"sandi-baru-123", usedforsecurity=False).hexdigest()
    assert SirsCredential.objects.get(pk=cred.pk).password_md5 == digest
    html = admin_client.get(change).content.decode()
    assert digest not in html and "sandi-baru-123" not in html


def test_admin_delivery_log_masks_niks(admin_client, credentials):
    delivery = WebhookDelivery.objects.create(
        endpoint=credentials["webhook"],
        event="referral.created",
        body=f'{{"nik": "{NIK}", "id": "RJ1"}}',
        response_body=f"diterima {NIK}",
        next_attempt_at="2026-01-01T00:00:00Z",
    )
    html = admin_client.get(
        reverse("admin:core_webhookdelivery_change", args=[delivery.pk])
    ).content.decode()
    assert NIK not in html
    assert "3374xxxxxxxx0001" in html and "RJ1" in html
