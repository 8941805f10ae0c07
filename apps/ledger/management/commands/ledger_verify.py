"""Recomputes every stored balance from the entries and checks every transaction balances.

Exits 0 when the books agree with themselves, 1 with a report of each discrepancy otherwise.
"""

from django.core.management.base import BaseCommand, CommandError

from apps.core.models import Organization
from apps.ledger.selectors import books_verify


class Command(BaseCommand):
    help = "Verify the books: stored balances against entries, and that every transaction balances."

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="SLUG", help="Only this organization.")

    def handle(self, *args, org=None, **options):
        organization_id = None
        if org:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"No organization with the slug {org!r}.")
            organization_id = organization.pk
        problems = books_verify(organization_id=organization_id)
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} discrepanc{'y' if len(problems) == 1 else 'ies'} found.")
        self.stdout.write(
            self.style.SUCCESS("The books agree: every balance matches its entries and every transaction balances.")
        )
