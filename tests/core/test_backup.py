"""`sigap backup` / `sigap restore` (issue 19): a round trip that loses nothing, on whichever
database the suite runs (SQLite: online backup API; PostgreSQL: pg_dump/pg_restore), and the
refusals that change nothing."""

from __future__ import annotations

import io
import json
import stat
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from sigap.core import backup, fields
from sigap.core.models import AuditEvent, User, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

KEY = "backup-test-field-key-0123456789abcdef"


@pytest.fixture
def field_key(monkeypatch):
    monkeypatch.setenv(fields.ENV_VAR, KEY)
    return KEY


def _state() -> dict:
    with connection.cursor() as cursor:
        counts = backup._django_counts(cursor)
    return {
        "counts": counts,
        "users": sorted(User.objects.values_list("username", "email", "role")),
        "secrets": sorted(WebhookEndpoint.objects.values_list("name", "secret")),
    }


def _seed() -> None:
    User.objects.create_user("admin-backup", "a@dinkes.example", "pw-long-enough-123", role="admin")
    User.objects.create_user("analis-backup", "b@dinkes.example", "pw-long-enough-123")
    WebhookEndpoint.objects.create(name="psc-partner", url="https://p.example/h", secret="s-one")
    WebhookEndpoint.objects.create(name="sms-gateway", url="https://s.example/h", secret="s-two")
    AuditEvent.objects.create(
        action="test.backup", object_type="t", object_id="1", object_label="before"
    )


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def test_round_trip_loses_nothing(tmp_path, field_key, monkeypatch):
    monkeypatch.setenv("SIGAP_SECRET_KEY", "secret-key-that-must-not-travel-42")
    monkeypatch.setenv("SIGAP_EXAMPLE_GATEWAY_URL", "https://user:hunter2pw@gw.example/x")
    monkeypatch.setenv("SIGAP_AREA_CODE", "3374")
    _seed()
    before = _state()

    archive = backup.backup(tmp_path)
    assert archive.parent == tmp_path and archive.name.endswith(".tar.gz")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # personal data inside
    assert [p.name for p in tmp_path.iterdir()] == [archive.name]  # no temporary left

    members = _members(archive)
    manifest = json.loads(members["manifest.json"])
    assert set(members) == {"manifest.json", manifest["database"], backup.KEYCHECK, "settings.json"}
    assert manifest["vendor"] == connection.vendor
    assert manifest["tables"] == before["counts"]
    assert manifest["tables"]["core_user"] == 2
    assert ["core", "0001_initial"] in manifest["migrations"]
    assert manifest["encrypted_columns"]["core_webhookendpoint.secret"] == 2
    settings_copy = json.loads(members["settings.json"])
    assert settings_copy["SIGAP_AREA_CODE"] == "3374"
    assert settings_copy["SIGAP_EXAMPLE_GATEWAY_URL"] == "https://user:***@gw.example/x"
    everything = b"".join(members.values())
    for secret in (KEY, "secret-key-that-must-not-travel-42", "hunter2pw", "s-one", "s-two"):
        assert secret.encode() not in everything, secret

    # the database moves on: rows removed, changed and added
    WebhookEndpoint.objects.filter(name="psc-partner").delete()
    User.objects.filter(username="analis-backup").update(email="changed@example.org")
    User.objects.create_user("after-backup", "", "pw-long-enough-123")
    AuditEvent.objects.create(
        action="test.backup", object_type="t", object_id="2", object_label="after"
    )

    with pytest.raises(backup.BackupError, match="already holds SIGAP data"):
        backup.restore(archive)
    assert User.objects.filter(username="after-backup").exists()  # refused: unchanged

    manifest_back = backup.restore(archive, force=True)
    assert manifest_back["tables"] == before["counts"]
    assert _state() == before
    assert WebhookEndpoint.objects.get(name="psc-partner").secret == "s-one"  # decrypts

    # the same archive restored twice gives the same database
    backup.restore(archive, force=True)
    assert _state() == before


def test_restore_into_an_empty_database_needs_no_force(tmp_path, field_key):
    _seed()
    before = _state()
    archive = backup.backup(tmp_path)
    AuditEvent.objects.all().delete()
    WebhookEndpoint.objects.all().delete()
    User.objects.all().delete()
    assert not backup.database_in_use()
    backup.restore(archive)
    assert _state() == before


def test_restore_refused_with_other_field_keys(tmp_path, field_key, monkeypatch):
    _seed()
    archive = backup.backup(tmp_path)
    User.objects.create_user("after-backup", "", "pw-long-enough-123")

    monkeypatch.setenv(fields.ENV_VAR, "a-different-key-nobody-had-0000000")
    with pytest.raises(backup.BackupError) as refused:
        backup.restore(archive, force=True)
    message = str(refused.value)
    assert "core_webhookendpoint.secret (2)" in message and "nothing was changed" in message
    assert KEY not in message
    assert User.objects.filter(username="after-backup").exists()

    # the old key still in the list (rotation) is enough
    monkeypatch.setenv(fields.ENV_VAR, f"a-different-key-nobody-had-0000000,{KEY}")
    backup.restore(archive, force=True)
    assert not User.objects.filter(username="after-backup").exists()


def test_an_empty_database_backs_up_and_restores(tmp_path):
    archive = backup.backup(tmp_path)
    manifest = backup.inspect(archive)
    assert manifest["tables"]["core_user"] == 0
    assert manifest["encrypted_columns"]["core_webhookendpoint.secret"] == 0
    backup.restore(archive)
    assert not User.objects.exists()


def _rewrite(archive: Path, target: Path, change) -> Path:
    members = _members(archive)
    change(members)
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def test_damaged_or_foreign_archives_are_refused(tmp_path, field_key):
    _seed()
    archive = backup.backup(tmp_path / "ok")
    User.objects.create_user("after-backup", "", "pw-long-enough-123")

    def damage(members):
        name = json.loads(members["manifest.json"])["database"]
        members[name] = members[name][:-10] + b"0123456789"

    def other_engine(members):
        manifest = json.loads(members["manifest.json"])
        manifest["vendor"] = "oracle"
        members["manifest.json"] = json.dumps(manifest).encode()

    def newer(members):
        manifest = json.loads(members["manifest.json"])
        manifest["migrations"].append(["core", "9999_from_the_future"])
        members["manifest.json"] = json.dumps(manifest).encode()

    def evil(members):
        members["../escape.txt"] = b"x"

    cases = [(damage, "damaged"), (other_engine, "same engine"), (newer, "newer SIGAP"),
             (evil, "")]  # fmt: skip
    for i, (change, expected) in enumerate(cases):
        bad = _rewrite(archive, tmp_path / f"bad{i}.tar.gz", change)
        with pytest.raises(backup.BackupError, match=expected):
            backup.restore(bad, force=True)
    assert not (tmp_path / "escape.txt").exists()
    (tmp_path / "garbage.tar.gz").write_bytes(b"not a tar")
    for path in (tmp_path / "garbage.tar.gz", tmp_path / "missing.tar.gz"):
        with pytest.raises(backup.BackupError):
            backup.restore(path, force=True)
    assert User.objects.filter(username="after-backup").exists()  # nothing was changed


def test_the_commands(tmp_path, field_key):
    _seed()
    out = io.StringIO()
    call_command("backup", output=tmp_path, stdout=out)
    assert "not in the archive" in out.getvalue()
    (archive,) = tmp_path.glob("sigap-backup-*.tar.gz")
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive))
    out = io.StringIO()
    call_command("restore", str(archive), force=True, stdout=out)
    assert "counts checked" in out.getvalue()


def test_a_missing_pg_tool_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="postgresql-client"):
        backup._pg_tool("pg_dump")
