"""Runs an import schedule now, in this process (as Celery beat would, through the same service), and prints
what it imported. Exits 1 when the run failed or a file was rejected."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.analytics.models import ImportSchedule
from apps.analytics.services.schedules import import_schedule_claim, import_schedule_run


class Command(BaseCommand):
    help = gettext_lazy(
        "Run an import schedule now (by id or name): fetch its new files or the last days of its report and "
        "import them through the traffic import pipeline."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        self.help = str(self.help)  # argparse needs a str, not a lazy string
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("schedule", metavar="SCHEDULE", help=_("The schedule's id or name."))

    def handle(self, *args, schedule, **options):
        found = ImportSchedule.objects.filter(pk=int(schedule)) if schedule.isdigit() else None
        if not found:
            found = ImportSchedule.objects.filter(name=schedule)
        if found.count() != 1:
            raise CommandError(_("No single import schedule is called {name}.").format(name=schedule))
        target = found.get()
        if not import_schedule_claim(schedule=target):
            raise CommandError(_("The schedule is being run by another process; try again later."))
        result = import_schedule_run(schedule_id=target.pk)
        self.stdout.write(
            _(
                "{name}: {fetched} fetched, {imported} imported, {already} already imported, {rejected} rejected, "
                "{failed} failed."
            ).format(
                name=target.name,
                fetched=result["fetched"],
                imported=result["imported"],
                already=result["already_imported"],
                rejected=result["rejected"],
                failed=result["failed"],
            )
        )
        if result["error"] or result["rejected"] or result["failed"]:
            raise CommandError(result["error"] or _("Some files were not imported: see their import jobs."))
