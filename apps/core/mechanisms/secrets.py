"""Secrets at rest: provider credentials and tokens stored encrypted (Fernet), decrypted only when read.

The keys come from ``KONTORA_SECRET_KEYS``: comma-separated Fernet keys (``Fernet.generate_key()``); the first
encrypts, every one decrypts, so a key is rotated by putting the new one first, running
``manage.py secrets_rotate`` (which re-encrypts every encrypted column with it) and then dropping the old one.

Without the variable (development, tests, the demo) one key is derived from ``SECRET_KEY``, so values stay
readable across restarts; production settings refuse to start without it, because a secret key shared with
sessions and signing is no place for the key of stored credentials.

A column holds the Fernet token (text); its plaintext never reaches a log: the fields' ``repr``, errors and
:func:`mask` show at most a few characters.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

ENVIRONMENT_VARIABLE = "KONTORA_SECRET_KEYS"
_DERIVATION_SALT = b"kontora-secrets-at-rest:"


class SecretKeyError(ImproperlyConfigured):
    """A stored secret cannot be decrypted with the configured keys, or a configured key is malformed."""


def derived_key(secret_key: str) -> bytes:
    """The development key: a Fernet key derived from Django's SECRET_KEY (stable while SECRET_KEY is)."""
    return base64.urlsafe_b64encode(hashlib.sha256(_DERIVATION_SALT + secret_key.encode()).digest())


def configured_keys() -> list[bytes]:
    """The Fernet keys in force, the encrypting one first."""
    raw = getattr(settings, "KONTORA_SECRET_KEYS", None) or []
    if isinstance(raw, str):
        raw = [item.strip() for item in raw.split(",") if item.strip()]
    if not raw:
        return [derived_key(settings.SECRET_KEY)]
    return [item.encode() if isinstance(item, str) else item for item in raw]


_cache: tuple[tuple[bytes, ...], MultiFernet] | None = None


def _fernet() -> MultiFernet:
    global _cache
    keys = tuple(configured_keys())
    if _cache is None or _cache[0] != keys:
        try:
            fernets = [Fernet(key) for key in keys]
        except (ValueError, TypeError):
            raise SecretKeyError(
                f"{ENVIRONMENT_VARIABLE} holds a key that is not a Fernet key (32 url-safe base64-encoded bytes); "
                "generate one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`."
            ) from None
        _cache = (keys, MultiFernet(fernets))
    return _cache[1]


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        # The token is not named: it is harmless, but a log line is no place for stored secrets of any kind.
        raise SecretKeyError(
            f"A stored secret cannot be decrypted with the keys in {ENVIRONMENT_VARIABLE}: the key that encrypted "
            "it is missing (put it back after the new one, run `manage.py secrets_rotate`, then drop it)."
        ) from None


def rotate_token(token: str) -> str:
    """The token re-encrypted with the first key (MultiFernet.rotate keeps the original timestamp)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        decrypt(token)  # raises the clear error
        raise


def is_current(token: str) -> bool:
    """Whether the token was made with the first (encrypting) key."""
    try:
        Fernet(configured_keys()[0]).decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def mask(value) -> str:
    """A secret as an admin may see it: its prefix (``sk_test_``, ``whsec_``) cut short and its last four
    characters, ``sk_t…4242``; a short value shows nothing but its length."""
    if value is None or value == "":
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {mask(item)}" for key, item in value.items())
    text = str(value)
    if len(text) <= 8:
        return "•" * len(text)
    return f"{text[:4]}…{text[-4:]}"


class _Masked(str):
    """A decrypted text whose ``repr`` (what debug pages, tracebacks and loggers show) is masked."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(mask(str(self)))


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token and decrypted on read. Not searchable and not orderable: the token of a
    value changes with every write."""

    encrypted = True

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return _Masked(decrypt(value))

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def to_python(self, value):
        return value


class EncryptedJSONField(models.TextField):
    """A JSON object (credentials: ``{"shop_id": …, "secret_key": …}``) stored as one Fernet token."""

    encrypted = True

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {} if value == "" else None
        return json.loads(decrypt(value))

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, str):
            value = json.loads(value) if value else {}
        return encrypt(json.dumps(value, sort_keys=True))

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value) if value else {}
        return value

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))


def encrypted_columns(among=None) -> Iterator[tuple[type[models.Model], models.Field]]:
    """Every concrete model field that stores an encrypted value, found by introspection (of ``among``, by
    default every installed model)."""
    from django.apps import apps

    for model in apps.get_models() if among is None else among:
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if getattr(field, "encrypted", False):
                yield model, field


def secrets_rotate(*, batch_size: int = 500, among=None) -> dict[str, int]:
    """Re-encrypt with the first key every stored secret that another key encrypted; returns how many values
    of each ``app.Model.field`` were rewritten. Batched by primary key; a value already under the first key is
    left alone, so running it again (or after an interruption) rewrites nothing twice. Each update is
    conditional on the token it read, so a value written meanwhile is never overwritten with an older one."""
    from django.db import connection, transaction

    rewritten: dict[str, int] = {}
    for model, field in encrypted_columns(among):
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(field.column)
        pk = connection.ops.quote_name(model._meta.pk.column)
        label = f"{model._meta.label}.{field.name}"
        rewritten[label] = 0
        last = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                after = "" if last is None else f"AND {pk} > %s"
                cursor.execute(
                    f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> '' {after} "
                    f"ORDER BY {pk} LIMIT %s",
                    ([] if last is None else [last]) + [batch_size],
                )
                rows = cursor.fetchall()
                for key, token in rows:
                    if is_current(token):
                        continue
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",
                        [rotate_token(token), key, token],
                    )
                    rewritten[label] += cursor.rowcount
            if len(rows) < batch_size:
                break
            last = rows[-1][0]
    return rewritten
