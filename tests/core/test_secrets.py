"""Secrets at rest: what an encrypted field stores is a Fernet token, what it reads is the plaintext; keys
rotate without losing a value; a value no key opens fails clearly, never showing the secret."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import isolate_apps

from apps.core.mechanisms import secrets
from apps.core.mechanisms.secrets import EncryptedJSONField, EncryptedTextField, SecretKeyError, mask

# A throwaway table is made in each test's transaction: creating tables is the schema owner's.
pytestmark = [pytest.mark.django_db, pytest.mark.database_owner]

STRIPE_KEY = "sk_test_51Hx0000000000000000004242"


@pytest.fixture
def vault():
    """A throwaway model with both kinds of encrypted field, its table created in the test's transaction."""
    with isolate_apps("apps.core"):

        class Vault(models.Model):
            token = EncryptedTextField(blank=True)
            credentials = EncryptedJSONField(null=True)

            class Meta:
                app_label = "core"
                db_table = "test_secrets_vault"

            def __str__(self):
                return f"vault {self.pk}"

        with connection.schema_editor() as editor:
            editor.create_model(Vault)
        yield Vault


def _raw(model, pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token, credentials FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()


def test_a_value_comes_back_as_it_was_stored(vault):
    row = vault.objects.create(token=STRIPE_KEY, credentials={"shop_id": "506751", "secret_key": "test_Fh8hUAVV"})

    again = vault.objects.get(pk=row.pk)

    assert again.token == STRIPE_KEY
    assert again.credentials == {"shop_id": "506751", "secret_key": "test_Fh8hUAVV"}


def test_the_column_holds_no_plaintext(vault):
    row = vault.objects.create(token=STRIPE_KEY, credentials={"secret_key": "test_Fh8hUAVV"})

    token, credentials = _raw(vault, row.pk)

    assert STRIPE_KEY not in token
    assert "4242" not in token
    assert "test_Fh8hUAVV" not in credentials
    assert "secret_key" not in credentials
    assert Fernet(secrets.configured_keys()[0]).decrypt(token.encode()).decode() == STRIPE_KEY


def test_the_repr_of_a_read_secret_is_masked(vault):
    row = vault.objects.create(token=STRIPE_KEY)

    assert repr(vault.objects.get(pk=row.pk).token) == repr("sk_t…4242")


def test_rotation_keeps_old_values_readable_then_rewrites_them_with_the_new_key(vault, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KONTORA_SECRET_KEYS = [old]
    row = vault.objects.create(token=STRIPE_KEY, credentials={"password": "11111111111111"})
    before = _raw(vault, row.pk)

    settings.KONTORA_SECRET_KEYS = [new, old]
    assert vault.objects.get(pk=row.pk).token == STRIPE_KEY  # the old key still decrypts
    rewritten = secrets.secrets_rotate(among=[vault])

    assert rewritten == {"core.Vault.token": 1, "core.Vault.credentials": 1}
    after = _raw(vault, row.pk)
    assert after != before
    settings.KONTORA_SECRET_KEYS = [new]  # the old key gone: everything still reads
    again = vault.objects.get(pk=row.pk)
    assert (again.token, again.credentials) == (STRIPE_KEY, {"password": "11111111111111"})
    assert secrets.secrets_rotate(among=[vault]) == {"core.Vault.token": 0, "core.Vault.credentials": 0}


def test_rotation_runs_in_batches(vault, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.KONTORA_SECRET_KEYS = [old]
    for n in range(5):
        vault.objects.create(token=f"whsec_{n:020d}")
    settings.KONTORA_SECRET_KEYS = [new, old]

    assert secrets.secrets_rotate(batch_size=2, among=[vault])["core.Vault.token"] == 5
    settings.KONTORA_SECRET_KEYS = [new]
    assert sorted(vault.objects.values_list("token", flat=True)) == [f"whsec_{n:020d}" for n in range(5)]


def test_the_command_reports_each_encrypted_column(english):
    out = io.StringIO()

    call_command("secrets_rotate", stdout=out)

    for model, field in secrets.encrypted_columns():
        assert f"{model._meta.label}.{field.name}: 0 re-encrypted." in out.getvalue()
    assert out.getvalue().rstrip().endswith("Every stored secret is encrypted with the first key.")


def test_a_value_under_a_key_no_longer_configured_fails_clearly(vault, settings):
    settings.KONTORA_SECRET_KEYS = [Fernet.generate_key().decode()]
    row = vault.objects.create(token=STRIPE_KEY)
    settings.KONTORA_SECRET_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(SecretKeyError) as error:
        vault.objects.get(pk=row.pk)

    assert "KONTORA_SECRET_KEYS" in str(error.value)
    assert STRIPE_KEY not in str(error.value)


def test_a_malformed_key_is_named(vault, settings):
    settings.KONTORA_SECRET_KEYS = ["not-a-fernet-key"]

    with pytest.raises(SecretKeyError, match="KONTORA_SECRET_KEYS holds a key that is not a Fernet key"):
        vault.objects.create(token=STRIPE_KEY)


def test_without_keys_one_is_derived_from_the_secret_key(settings):
    settings.KONTORA_SECRET_KEYS = []

    assert secrets.configured_keys() == [secrets.derived_key(settings.SECRET_KEY)]
    assert secrets.decrypt(secrets.encrypt("x")) == "x"


def test_mask_shows_a_prefix_and_the_last_four_characters():
    assert mask("sk_test_4eC39HqLyjWDarjtT1zdp7dc4242") == "sk_t…4242"
    assert mask("whsec_abcdefgh1234") == "whse…1234"
    assert mask("short") == "•••••"
    assert mask("") == ""
    assert (
        mask({"shop_id": "506751", "secret_key": "live_abcdefghijkl9876"}) == "shop_id: ••••••, secret_key: live…9876"
    )
