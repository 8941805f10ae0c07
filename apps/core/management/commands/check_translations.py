"""Fails when a catalog has an untranslated or fuzzy entry (run after `makemessages`)."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Check that every message of the listed languages is translated and none is fuzzy."

    def add_arguments(self, parser):
        parser.add_argument(
            "--language", "-l", action="append", default=None, help="Language(s) to check (default: ru)"
        )

    def handle(self, *args, language, **options):
        problems = []
        for lang in language or ["ru"]:
            for root in settings.LOCALE_PATHS:
                for po_path in sorted(Path(root).glob(f"{lang}/LC_MESSAGES/*.po")):
                    catalog = polib.pofile(str(po_path))
                    for entry in catalog.untranslated_entries():
                        problems.append(f"{po_path}:{entry.linenum}: untranslated: {entry.msgid!r}")
                    for entry in catalog.fuzzy_entries():
                        problems.append(f"{po_path}:{entry.linenum}: fuzzy: {entry.msgid!r}")
        if problems:
            raise CommandError(f"{len(problems)} message(s) need a translation:\n" + "\n".join(problems))
        self.stdout.write("Every message is translated.")
