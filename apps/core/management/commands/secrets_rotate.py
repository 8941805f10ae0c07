"""Re-encrypts every stored secret with the first key of KONTORA_SECRET_KEYS (after a key rotation).

Put the new key first in KONTORA_SECRET_KEYS and keep the old ones after it, run this command, then drop the
old keys. Running it again rewrites nothing.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from apps.core.mechanisms.secrets import SecretKeyError, secrets_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored secret with the first key of KONTORA_SECRET_KEYS (run after adding a new key)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="Rows read per batch (default 500).")

    def handle(self, *args, batch_size=500, **options):
        try:
            rewritten = secrets_rotate(batch_size=batch_size)
        except SecretKeyError as error:
            raise CommandError(str(error)) from error
        for label, count in rewritten.items():
            self.stdout.write(_("{field}: {count} re-encrypted.").format(field=label, count=count))
        self.stdout.write(_("Every stored secret is encrypted with the first key."))
