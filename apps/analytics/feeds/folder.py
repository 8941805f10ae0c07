"""A folder on the server (a mounted share, an SFTP drop): every file whose name matches the pattern, oldest
first. The pipeline imports each file once (by its SHA-256), so listing a file again costs a read, not a
write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from . import FeedError, Fetched


def fetch(schedule, **_context) -> Iterator[Fetched]:
    settings = schedule.settings or {}
    folder = Path(str(settings.get("path", "")))
    if not settings.get("path") or not folder.is_dir():
        raise FeedError(_("The folder {path} does not exist or is not a folder.").format(path=folder))
    pattern = str(settings.get("pattern") or "*")
    files = [path for path in folder.glob(pattern) if path.is_file() and not path.name.startswith(".")]
    for path in sorted(files, key=lambda p: (p.stat().st_mtime, p.name)):
        yield Fetched(name=path.name, path=str(path))
