"""`sigap backup` and `sigap restore`: one tar.gz holding the database, the media files and
the non-secret settings, with a manifest (format, SIGAP version, migrations, rows per table,
SHA-256 of every member).

- PostgreSQL: `pg_dump -Fc` in the same snapshot as the row counts; restored with
  `pg_restore --clean --single-transaction` (the client binaries of the server's Debian
  package, `postgresql-client-<major>`).
- SQLite: the online backup API (consistent while the server writes); restored the same way
  into the live file.
- Never in the archive: SIGAP_SECRET_KEY, SIGAP_FIELD_KEYS or any other secret of the
  environment. They are backed up separately (README "Operations"). The encrypted columns
  travel as ciphertext, and restore first checks that the current keys decrypt every one of
  them, refusing otherwise, so a restore never leaves credentials nobody can read.
- Restore refuses a database that already has user accounts unless `force` is given.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from . import fields

FORMAT = 1
MANIFEST = "manifest.json"
KEYCHECK = "encrypted-columns.json"
SETTINGS_MEMBER = "settings.json"
MEDIA_PREFIX = "media/"
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# environment entries that never go into an archive (and any name that looks like a secret)
SECRET_NAMES = {"SIGAP_SECRET_KEY", fields.ENV_VAR, "SIGAP_METRICS_TOKEN"}
_SECRET_LOOKING = re.compile(r"KEY|SECRET|TOKEN|PASS|CREDENTIAL", re.I)
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")
MAX_KEYCHECK_PER_COLUMN = 10_000


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


# --- helpers ---------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sigap_version() -> str:
    try:
        return metadata.version("sigap")
    except metadata.PackageNotFoundError:
        return "unknown"


def _vendor() -> str:
    if connection.vendor not in DB_MEMBER:
        raise BackupError(f"Database {connection.vendor} is not supported (SQLite, PostgreSQL).")
    return connection.vendor


def encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) of every EncryptedTextField of the installed models."""
    out = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, fields.EncryptedTextField):
                out.append((model._meta.db_table, field.column))
    return sorted(set(out))


def public_settings() -> dict[str, str]:
    """The deployment's environment without its secrets (passwords cut out of URLs)."""
    out = {}
    for name, value in sorted(os.environ.items()):
        if not (name.startswith("SIGAP_") or name in {"DATABASE_URL", "REDIS_URL"}):
            continue
        if name in SECRET_NAMES or _SECRET_LOOKING.search(name):
            continue
        out[name] = _URL_PASSWORD.sub(r"\1***@", value)
    return out


def applied_migrations() -> list[list[str]]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return sorted([app, name] for app, name in loader.applied_migrations)


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    """libpq environment for the default database (the password never on a command line)."""
    conf = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if conf.get(key):
            env[var] = str(conf[key])
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    env["PGDATABASE"] = conf["NAME"]
    return env, ["--dbname", conf["NAME"]]


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found. Install the PostgreSQL client of the server's major version "
            "(Debian: apt install postgresql-client-<major>) and try again."
        )
    return path


def _run_pg(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        err = done.stderr.strip()
        if "version mismatch" in err or "unsupported version" in err:
            raise BackupError(
                f"{Path(argv[0]).name} does not match the server's version: install the client "
                f"of the server's major version. ({err.splitlines()[-1]})"
            )
        raise BackupError(f"{Path(argv[0]).name} failed: {err[-800:]}")


# --- reading a database: counts and encrypted tokens -------------------------------------------


def _sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [r[0] for r in rows]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_counts(db: sqlite3.Connection) -> dict[str, int]:
    counts = {}
    for table in _sqlite_tables(db):
        counts[table] = db.execute(f"SELECT COUNT(*) FROM {_q(table)}").fetchone()[0]  # noqa: S608
    return counts


def _sqlite_tokens(db: sqlite3.Connection) -> dict[str, list[str]]:
    tables = set(_sqlite_tables(db))
    out = {}
    for table, column in encrypted_columns():
        if table in tables:
            rows = db.execute(
                f"SELECT {_q(column)} FROM {_q(table)} WHERE {_q(column)} IS NOT NULL "  # noqa: S608
                f"LIMIT {MAX_KEYCHECK_PER_COLUMN}"
            )
            out[f"{table}.{column}"] = [r[0] for r in rows]
    return out


def _django_counts(cursor) -> dict[str, int]:
    tables = connection.introspection.table_names(cursor)
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def _django_tokens(cursor) -> dict[str, list[str]]:
    tables = set(connection.introspection.table_names(cursor))
    qn = connection.ops.quote_name
    out = {}
    for table, column in encrypted_columns():
        if table in tables:
            cursor.execute(
                f"SELECT {qn(column)} FROM {qn(table)} WHERE {qn(column)} IS NOT NULL "  # noqa: S608
                f"LIMIT {MAX_KEYCHECK_PER_COLUMN}"
            )
            out[f"{table}.{column}"] = [r[0] for r in cursor.fetchall()]
    return out


def undecryptable(tokens: dict[str, list[str]]) -> dict[str, int]:
    """Per column, how many tokens the current keys cannot decrypt (columns with none left out)."""
    bad = {}
    for column, values in tokens.items():
        n = 0
        for token in values:
            try:
                fields.decrypt(token)
            except ValueError:
                n += 1
        if n:
            bad[column] = n
    return bad


def database_in_use() -> bool:
    """True when the database has user accounts (a freshly migrated one has none)."""
    table = get_user_model()._meta.db_table
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return False
    return get_user_model().objects.exists()


# --- backup ---------------------------------------------------------------------------------------


def _dump_sqlite(dest: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    source_path = connection.settings_dict["NAME"]
    # a connection of our own, read-only: Django's may be inside a transaction
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)
    finally:
        source.close()
    try:
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        return _sqlite_counts(target), _sqlite_tokens(target)
    finally:
        target.close()


def _dump_postgres(dest: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    pg_dump = _pg_tool("pg_dump")
    env, args = _pg_env_and_args()
    if connection.in_atomic_block:
        raise BackupError("backup must not run inside a transaction")
    # counts, tokens and dump all read the same snapshot
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts, tokens = _django_counts(cursor), _django_tokens(cursor)
        _run_pg([pg_dump, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                 "--file", str(dest), *args], env)  # fmt: skip
    return counts, tokens


def _media_root() -> Path | None:
    root = getattr(settings, "MEDIA_ROOT", "")
    if not root:
        return None
    path = Path(root)
    return path if path.is_dir() else None


def backup(output_dir: Path | str | None = None) -> Path:
    """Write one archive into `output_dir` (default SIGAP_BACKUP_DIR); returns its path."""
    vendor = _vendor()
    out_dir = Path(output_dir or settings.SIGAP_BACKUP_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    archive = out_dir / f"sigap-backup-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".sigap-backup-") as tmp:
        work = Path(tmp)
        db_file = work / DB_MEMBER[vendor]
        counts, tokens = (_dump_sqlite if vendor == "sqlite" else _dump_postgres)(db_file)
        (work / KEYCHECK).write_text(json.dumps(tokens))
        (work / SETTINGS_MEMBER).write_text(json.dumps(public_settings(), indent=1))
        members = [DB_MEMBER[vendor], KEYCHECK, SETTINGS_MEMBER]
        media = _media_root()
        media_files = sorted(p for p in media.rglob("*") if p.is_file()) if media else []
        manifest = {
            "format": FORMAT,
            "sigap_version": _sigap_version(),
            "created_at": datetime.now(UTC).isoformat(),
            "vendor": vendor,
            "database": DB_MEMBER[vendor],
            "migrations": applied_migrations(),
            "tables": counts,
            "encrypted_columns": {k: len(v) for k, v in tokens.items()},
            "field_keys": "SIGAP_FIELD_KEYS" if fields.configured_keys() else "SECRET_KEY",
            "files": {m: _sha256(work / m) for m in members},
        }
        for path in media_files:
            manifest["files"][MEDIA_PREFIX + path.relative_to(media).as_posix()] = _sha256(path)
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        partial = out_dir / (archive.name + ".part")
        # personal data inside: readable by the owner only
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(work / MANIFEST, arcname=MANIFEST)
            for m in members:
                tar.add(work / m, arcname=m)
            for path in media_files:
                tar.add(path, arcname=MEDIA_PREFIX + path.relative_to(media).as_posix())
        partial.rename(archive)
    return archive


# --- restore --------------------------------------------------------------------------------------


@contextmanager
def _opened(archive: Path) -> Iterator[tuple[Path, dict]]:
    """Extract the archive into a temporary folder after checking its members; yields the
    folder and the manifest, checksums verified."""
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist.")
    with tempfile.TemporaryDirectory(prefix=".sigap-restore-") as tmp:
        work = Path(tmp)
        try:
            with tarfile.open(archive, mode="r:gz") as tar:
                for member in tar.getmembers():
                    if not member.isfile():
                        raise BackupError(f"{archive}: unexpected entry {member.name!r}.")
                tar.extractall(work, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"{archive} is not a SIGAP backup ({exc}).") from None
        try:
            manifest = json.loads((work / MANIFEST).read_text())
        except (OSError, ValueError):
            raise BackupError(f"{archive} has no readable {MANIFEST}.") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive}: backup format {manifest.get('format')} is not known.")
        for name, expected in manifest.get("files", {}).items():
            path = work / name
            if not path.is_file() or _sha256(path) != expected:
                raise BackupError(f"{archive}: {name} is missing or damaged (checksum).")
        yield work, manifest


def _check_migrations(manifest: dict) -> None:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    unknown = [
        f"{a}.{n}"
        for a, n in manifest.get("migrations", [])
        if (a, n) not in loader.disk_migrations
    ]
    if unknown:
        raise BackupError(
            "The backup was made by a newer SIGAP (migrations this code does not have: "
            + ", ".join(unknown[:5])
            + "). Install that version, restore, then upgrade."
        )


def _restore_sqlite(db_file: Path) -> None:
    target_path = connection.settings_dict["NAME"]
    connection.close()
    source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _restore_postgres(db_file: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    env, args = _pg_env_and_args()
    connection.close()
    _run_pg([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", *args, str(db_file)], env)  # fmt: skip


def _restore_media(work: Path, manifest: dict) -> int:
    names = [n for n in manifest.get("files", {}) if n.startswith(MEDIA_PREFIX)]
    if not names:
        return 0
    root = Path(settings.MEDIA_ROOT) if getattr(settings, "MEDIA_ROOT", "") else None
    if root is None:
        raise BackupError("The backup holds media files but MEDIA_ROOT is not set.")
    for name in names:
        target = root / name[len(MEDIA_PREFIX) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(work / name, target)
    return len(names)


def inspect(archive: Path | str) -> dict:
    """The manifest of a checked archive."""
    with _opened(Path(archive)) as (_work, manifest):
        return manifest


def restore(archive: Path | str, *, force: bool = False) -> dict:
    """Put the archive's database (and media) in place of the current ones. Refuses, changing
    nothing: a damaged archive, another database engine, a newer SIGAP, field keys that do
    not decrypt the archive's encrypted columns, a database in use without `force`. Returns
    the manifest after checking the restored row counts against it."""
    vendor = _vendor()
    with _opened(Path(archive)) as (work, manifest):
        if manifest.get("vendor") != vendor:
            raise BackupError(
                f"The backup is of a {manifest.get('vendor')} database; this SIGAP runs on "
                f"{vendor}. Restore it into the same engine."
            )
        _check_migrations(manifest)
        tokens = json.loads((work / KEYCHECK).read_text())
        bad = undecryptable(tokens)
        if bad:
            where = ", ".join(f"{col} ({n})" for col, n in sorted(bad.items()))
            raise BackupError(
                f"The current field keys ({fields.ENV_VAR}, or SIGAP_SECRET_KEY when it is not "
                f"set) cannot decrypt the backup's encrypted columns: {where}. Set the keys in "
                "use when the backup was made (kept apart from the backups) and run restore "
                "again; nothing was changed."
            )
        if not force and database_in_use():
            raise BackupError(
                "The database already holds SIGAP data (user accounts). Restore into an empty "
                "database, or add --force to replace it; nothing was changed."
            )
        db_file = work / manifest["database"]
        if vendor == "sqlite":
            _restore_sqlite(db_file)
        else:
            _restore_postgres(db_file)
        _restore_media(work, manifest)
    with connection.cursor() as cursor:
        counts = _django_counts(cursor)
        after = _django_tokens(cursor)
    differ = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if differ:
        raise BackupError(f"Restored, but row counts differ from the manifest: {differ}")
    if undecryptable(after):
        raise BackupError("Restored, but some encrypted columns do not decrypt: check the keys.")
    return manifest
