"""Writes an organization's books as a beancount or hledger journal.

    manage.py ledger_export --org acme --format beancount --output books.beancount
    manage.py ledger_export --org acme --format hledger --output - | hledger -f - balance

The journal ends with balance assertions of the stored balances (``--no-assertions`` leaves them out), so
``bean-check books.beancount`` or ``hledger -f books.journal check`` confirms the books independently.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.models import Organization
from apps.ledger.reports.journal import FORMATS, journal_export


class Command(BaseCommand):
    help = gettext_lazy("Export an organization's books as a plain-text accounting journal (beancount or hledger).")

    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse formats the description with a regular expression, which needs a str, not a lazy string.
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="SLUG", required=True, help=_("The organization's slug."))
        parser.add_argument("--format", choices=FORMATS, default="beancount", dest="fmt", help=_("Journal format."))
        parser.add_argument("--output", metavar="FILE", default="-", help=_("File to write, or - for standard output."))
        parser.add_argument("--no-assertions", action="store_true", help=_("Leave out the closing balance assertions."))

    def handle(self, *args, org: str, fmt: str, output: str, no_assertions: bool, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(_("No organization with the slug {slug}.").format(slug=org))
        if output == "-":
            summary = journal_export(
                organization=organization, fmt=fmt, out=_Verbatim(self.stdout), assertions=not no_assertions
            )
        else:
            try:
                with open(output, "w", encoding="utf-8", newline="\n") as out:
                    summary = journal_export(organization=organization, fmt=fmt, out=out, assertions=not no_assertions)
            except OSError as error:
                raise CommandError(
                    _("Cannot write {file}: {reason}.").format(file=output, reason=error.strerror)
                ) from error
        self.stderr.write(
            _(
                "Exported {transactions} transactions ({postings} postings, {accounts} accounts) of {slug} as {fmt}."
            ).format(
                transactions=summary.transactions,
                postings=summary.postings,
                accounts=summary.accounts,
                slug=organization.slug,
                fmt=fmt,
            )
        )


class _Verbatim:
    """The command's stdout without the line ending it adds to every write."""

    def __init__(self, wrapper):
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")
