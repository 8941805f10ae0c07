"""Recomputes every stored balance from the entries and checks every transaction balances.

Exits 0 when the books agree with themselves, 1 with a report of each discrepancy otherwise.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.core.models import Organization
from apps.ledger.selectors import books_verify


class Command(BaseCommand):
    help = gettext_lazy("Verify the books: stored balances against entries, and that every transaction balances.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse formats the description with a regular expression, which needs a str, not a lazy string.
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="SLUG", help=_("Only this organization."))

    def handle(self, *args, org=None, **options):
        organization_id = None
        if org:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(_("No organization with the slug {slug}.").format(slug=org))
            organization_id = organization.pk
        problems = books_verify(organization_id=organization_id)
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            count = len(problems)
            raise CommandError(
                ngettext("{count} discrepancy found.", "{count} discrepancies found.", count).format(count=count)
            )
        self.stdout.write(
            self.style.SUCCESS(_("The books agree: every balance matches its entries and every transaction balances."))
        )
