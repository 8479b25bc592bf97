"""Model fields that keep secrets encrypted at rest.

Shared secrets that SIGAP must read back in clear to check a signature (Aplicare secrets,
webhook signing secrets, SIRS/SISRUTE password MD5s) are stored as Fernet tokens. The keys
come from the environment: `SIGAP_FIELD_KEYS`, comma-separated; the first one encrypts, every
one decrypts (rotation: put the new key first, run `sigap rotatefieldkeys`, then drop the
old ones). Without
it (demo, development, tests) a key derived from SECRET_KEY is used, and
`sigap check --deploy` reports a production setup without field keys (sigap.E002).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction

ENV_VAR = "SIGAP_FIELD_KEYS"


def configured_keys() -> list[str]:
    """The field keys set in the environment, first one encrypting; empty if none."""
    return [k.strip() for k in os.environ.get(ENV_VAR, "").split(",") if k.strip()]


def _fernet_key(material: str) -> bytes:
    # Any long random string is accepted as a key; Fernet wants 32 url-safe base64 bytes.
    digest = hashlib.sha256(b"sigap.core.fields:" + material.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@functools.lru_cache(maxsize=8)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def cipher() -> MultiFernet:
    """The cipher for the current keys (from the environment, else from SECRET_KEY)."""
    keys = configured_keys() or ["secret-key:" + settings.SECRET_KEY]
    return _cipher(tuple(keys))


def encrypt(value: str) -> str:
    return cipher().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise ValueError(
            f"An encrypted column cannot be decrypted with the keys in {ENV_VAR} "
            "(key missing from the list, or the row was never encrypted)."
        ) from None


def rotate(token: str) -> str:
    """The same value encrypted with the first (current) key."""
    try:
        return cipher().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise ValueError(
            f"A stored token cannot be decrypted with the keys in {ENV_VAR}."
        ) from None


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token and read back in clear: the Python value is the plain
    string, so code that checks credentials reads it as before. Tokens are randomised, so
    the column cannot be searched or compared in SQL (only `isnull` lookups are allowed)."""

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            return None  # an equality test against a randomised token would never match
        return super().get_lookup(lookup_name)


def _rewrite(connection, meta, field_name: str, convert: Callable[[str], str]) -> int:
    """Rewrite one encrypted column in place with raw SQL (past the field's own conversion);
    returns how many rows changed."""
    qn = connection.ops.quote_name
    table, column, pk = qn(meta.db_table), qn(meta.get_field(field_name).column), qn(meta.pk.column)
    changed = 0
    with connection.cursor() as cur:
        cur.execute(f"SELECT {pk}, {column} FROM {table}")  # noqa: S608 - quoted names
        for row_id, value in cur.fetchall():
            new = convert(value) if value is not None else None
            if new != value:
                cur.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s", [new, row_id])  # noqa: S608
                changed += 1
    return changed


def crypt_column(apps, schema_editor, model_label: str, field_name: str, *, forward: bool) -> None:
    """Data-migration step: encrypt (forward) or decrypt (backward) every row of a column.
    Already encrypted rows are left alone going forward, so the step can run twice."""
    meta = apps.get_model(model_label)._meta
    _rewrite(schema_editor.connection, meta, field_name, _encrypted if forward else _decrypted)


def rotate_all() -> int:
    """Re-encrypt every encrypted column of every model with the first key (after a new key
    was put in front of SIGAP_FIELD_KEYS); returns the rows rewritten. All or nothing."""
    rewritten = 0
    with transaction.atomic():
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, EncryptedTextField):
                    rewritten += _rewrite(connection, model._meta, field.name, rotate)
    return rewritten


def _encrypted(value: str) -> str:
    try:
        decrypt(value)
        return value
    except ValueError:
        return encrypt(value)


def _decrypted(value: str) -> str:
    try:
        return decrypt(value)
    except ValueError:
        return value  # never encrypted
