"""Where scheduled imports fetch their files (``ImportSchedule.kind``), each a function
``fetch(schedule, *, today, sleep) -> Iterator[Fetched]`` that yields the files to import; the schedule service
(``apps.analytics.services.schedules``) runs each through the import pipeline, which skips a file already
imported into the source (by its SHA-256) and, for a report that overlaps an earlier one, writes only what
the network restated.

- ``folder``: the files of a folder matching a pattern (each new file once);
- ``s3``: the objects under a prefix of an S3 (or MinIO) bucket, listed with ListObjectsV2 over httpx and
  signed with Signature Version 4 (botocore's signer); only objects newer than the last run's newest are
  fetched;
- ``moloco_api`` and ``appsflyer_api``: the last N days of a report, asked again on every run.

HTTP goes through :mod:`.http` (one transport, which tests replace with ``httpx.MockTransport``); waits go
through the ``sleep`` a run is given, so tests never sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Fetched:
    """One file to import: its name (as the import job shows it) and its content (bytes) or path."""

    name: str
    content: bytes | None = None
    path: str | None = None


class FeedError(Exception):
    """A fetch failed for a reason the schedule shows (a refused credential, a missing folder, a report that
    failed at the provider); the next run tries again."""


def fetcher(kind: str) -> Callable[..., Iterator[Fetched]]:
    """The fetch function of a schedule's kind."""
    from django.utils.translation import gettext as _

    from . import appsflyer, folder, moloco, s3

    fetchers = {"folder": folder.fetch, "s3": s3.fetch, "moloco_api": moloco.fetch, "appsflyer_api": appsflyer.fetch}
    if kind not in fetchers:
        raise FeedError(_("Kontora cannot fetch imports of the kind “{kind}” yet.").format(kind=kind))
    return fetchers[kind]
