"""Fetches the public exchange rates of a date (today in Moscow by default) from the configured source.

The same as the daily beat task, by hand: to fill a missed day, or to check the source works. Exits 1 with
the reason when fetching is turned off or the source cannot be read.
"""

from datetime import date as Date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.core.money.fx import FxRatesError, fx_rates_fetch, fx_today


def _date(value: str) -> Date:
    try:
        return Date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--date {value} is not a date (YYYY-MM-DD).").format(value=value)) from None


class Command(BaseCommand):
    help = "Fetch the public exchange rates of a date from FX_RATES_SOURCE (the Central Bank of Russia by default)."

    def add_arguments(self, parser):
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="The date (default: today in Moscow).")

    def handle(self, *args, date=None, **options):
        on = _date(date) if date else fx_today()
        try:
            result = fx_rates_fetch(date=on)
        except FxRatesError as error:
            raise CommandError(str(error)) from error
        if result.date == on:
            self.stdout.write(_("{source}: rates for {date}.").format(source=result.source, date=result.date))
        else:
            self.stdout.write(
                _("{source}: rates for {date} (asked for {asked}: the latest the source set on or before it).").format(
                    source=result.source, date=result.date, asked=on
                )
            )
        none = _("none")
        self.stdout.write(_("Stored: {codes}.").format(codes=", ".join(result.created) or none))
        if result.unchanged:
            self.stdout.write(_("Already there: {codes}.").format(codes=", ".join(result.unchanged)))
        if result.differing:
            self.stderr.write(
                _("The source now gives other rates for {codes}; the stored ones are kept.").format(
                    codes=", ".join(result.differing)
                )
            )
        count = len(result.created)
        self.stdout.write(
            self.style.SUCCESS(ngettext("{count} rate stored.", "{count} rates stored.", count).format(count=count))
        )
