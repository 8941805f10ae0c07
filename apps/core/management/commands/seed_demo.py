from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core.operations.demo import seed_demo


class Command(BaseCommand):
    help = "Load the demo organization and logins (idempotent). Refused in production unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow it even when DEBUG is off.")

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force and "test" not in settings.SETTINGS_MODULE:
            raise CommandError("seed_demo creates well-known passwords; it runs only with DEBUG on (or --force).")
        for who, email, password in seed_demo():
            self.stdout.write(f"{who:<11} {email}  /  {password}")
