"""Imports a traffic file (an ad network's, attribution platform's or tracker's export) from the command line
through the same pipeline as uploads: a progress bar on stderr, a summary on stdout.

Exits 0 when the file was imported (also with warnings, or with bad rows left out under ``--keep-valid``),
1 when it was rejected or failed, after listing its bad cells.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.analytics.models import ImportJob, TrafficSource
from apps.analytics.services import import_job_create, import_job_run, traffic_source_get_or_create
from apps.core.mechanisms.idempotency import is_replay
from apps.core.models import Organization

BAR_WIDTH = 30
ERRORS_SHOWN = 20


class Command(BaseCommand):
    help = gettext_lazy(
        "Import a traffic file (Moloco, AppsFlyer, Adjust, Keitaro, Binom, Voluum or a mapped CSV) into a "
        "traffic source: every bad cell is reported, and a file with errors imports nothing unless --keep-valid."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # argparse formats the description with a regular expression, which needs a str, not a lazy string.
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help=_("The file to import."))
        parser.add_argument("--format", metavar="F", default="", help=_("The file's format; detected when omitted."))
        parser.add_argument(
            "--org", metavar="SLUG", help=_("The organization's slug (needed when there is more than one).")
        )
        parser.add_argument(
            "--source",
            metavar="NAME",
            help=_("The traffic source to import into, created when new (needed when the organization has several)."),
        )
        parser.add_argument(
            "--keep-valid", action="store_true", help=_("Import the valid rows of a file with errors; report the rest.")
        )
        parser.add_argument(
            "--force", action="store_true", help=_("Import the file again although it was imported before.")
        )

    def handle(self, *args, path, format="", org=None, source=None, keep_valid=False, force=False, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(_("No file at {path}.").format(path=path))
        organization = self._organization(org)
        traffic_source = self._source(organization, source)
        started = time.monotonic()
        job = import_job_create(
            organization=organization,
            source=traffic_source,
            file=file,
            format=format,
            keep_valid=keep_valid,
            force=force,
        )
        if is_replay(job) and job.status == ImportJob.Status.DONE:
            self.stdout.write(
                _(
                    "This file was already imported into {source} (import #{id}); nothing to do. "
                    "Use --force to import it again."
                ).format(source=traffic_source.name, id=job.pk)
            )
            return
        bar = _ProgressBar(self.stderr, total=_estimated_rows(file), started=started)
        job = import_job_run(job=job, progress=bar.update)
        bar.close()
        self._summary(job, time.monotonic() - started)
        if job.status != ImportJob.Status.DONE:
            raise CommandError(job.message or job.get_status_display())

    def _organization(self, slug: str | None) -> Organization:
        if slug:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                raise CommandError(_("No organization with the slug {slug}.").format(slug=slug))
            return organization
        organizations = list(Organization.objects.order_by("pk")[:2])
        if len(organizations) != 1:
            raise CommandError(_("Name the organization with --org SLUG."))
        return organizations[0]

    def _source(self, organization: Organization, name: str | None) -> TrafficSource:
        if name:
            source, created = traffic_source_get_or_create(organization=organization, name=name)
            if created:
                self.stderr.write(_("Created the traffic source {name}.").format(name=name))
            return source
        sources = list(TrafficSource.objects.filter(organization=organization).order_by("pk")[:2])
        if len(sources) != 1:
            raise CommandError(_("Name the traffic source with --source NAME."))
        return sources[0]

    def _summary(self, job: ImportJob, seconds: float) -> None:
        for error in job.errors[:ERRORS_SHOWN]:
            self.stderr.write(
                error.get("message")
                or _("Line {line}, column {column}: {raw!r} is not {expected}.").format(
                    line=error.get("line"),
                    column=error.get("column"),
                    raw=error.get("raw"),
                    expected=error.get("expected"),
                )
            )
        if job.error_count > ERRORS_SHOWN:
            hidden = job.error_count - ERRORS_SHOWN
            self.stderr.write(
                ngettext(
                    "… and {count} more bad cell; see the error report.",
                    "… and {count} more bad cells; see the error report.",
                    hidden,
                ).format(count=hidden)
            )
        if job.error_report:
            self.stderr.write(_("Error report: {path}").format(path=job.error_report.name))
        for warning in job.warnings[:ERRORS_SHOWN]:
            self.stderr.write(
                _("Warning, line {line}: {message}").format(line=warning.get("line"), message=warning.get("message"))
            )
        self.stdout.write(
            _(
                "Import #{id} {status}: {read} rows read, {inserted} inserted, {updated} updated, "
                "{unchanged} unchanged, {rejected} rejected in {seconds:.1f} s."
            ).format(
                id=job.pk,
                status=job.get_status_display().lower(),
                read=job.rows_read,
                inserted=job.rows_inserted,
                updated=job.rows_updated,
                unchanged=job.rows_unchanged,
                rejected=job.rows_rejected,
                seconds=seconds,
            )
        )


def _estimated_rows(path: Path) -> int:
    """Lines in the file less the header: the progress bar's 100% (a header-less file is one row off)."""
    lines = 0
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            lines += chunk.count(b"\n")
    return max(lines - 1, 1)


class _ProgressBar:
    def __init__(self, stream, *, total: int, started: float):
        self.stream, self.total, self.started = stream, total, started
        self.interactive = getattr(getattr(stream, "_out", stream), "isatty", lambda: False)()
        self.drawn = False

    def update(self, rows: int) -> None:
        share = min(rows / self.total, 1.0)
        filled = int(share * BAR_WIDTH)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        text = _("[{bar}] {percent:3.0f}% {rows} rows, {rate} rows/s").format(
            bar="#" * filled + "." * (BAR_WIDTH - filled),
            percent=share * 100,
            rows=f"{rows:,}",
            rate=f"{rows / elapsed:,.0f}",
        )
        if self.interactive:
            self.stream.write("\r" + text, ending="")
            self.stream.flush()
        else:
            self.stream.write(text)
        self.drawn = True

    def close(self) -> None:
        if self.drawn and self.interactive:
            self.stream.write("")
