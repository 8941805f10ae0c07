"""Checks for uploaded files: size, and a type recognised from the file's own first bytes (its extension
and the browser's Content-Type are only claims)."""

from __future__ import annotations

import posixpath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# How much of a file is read to recognise it: enough for every signature below and for a fair look at text.
HEAD_BYTES = 2048


def _is_text(head: bytes) -> bool:
    # Text (CSV) has no NUL bytes and decodes as UTF-8; a multi-byte character cut at the end of the head
    # is not a reason to refuse it.
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3 and error.reason == "unexpected end of data"
    return True


# type name -> (accepted extensions, predicate on the first bytes)
SIGNATURES = {
    "png": ({"png"}, lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpeg": ({"jpg", "jpeg"}, lambda head: head.startswith(b"\xff\xd8\xff")),
    "gif": ({"gif"}, lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ({"webp"}, lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "pdf": ({"pdf"}, lambda head: head.startswith(b"%PDF-")),
    "xlsx": ({"xlsx"}, lambda head: head.startswith(b"PK\x03\x04")),
    "csv": ({"csv", "txt"}, _is_text),
}
_TEXT_TYPES = {"csv"}


def sniff(head: bytes) -> str | None:
    """The known binary type whose signature matches ``head``, or None (text is not guessed: it would match
    almost anything)."""
    for name, (_exts, matches) in SIGNATURES.items():
        if name not in _TEXT_TYPES and matches(head):
            return name
    return None


@deconstructible
class FileTypeValidator:
    """Accepts a file whose extension and content both are one of ``types`` and which is not larger than
    ``max_bytes`` (and never larger than ``settings.UPLOAD_MAX_BYTES``, the site-wide limit)."""

    def __init__(self, types: tuple[str, ...], max_bytes: int | None = None):
        unknown = set(types) - set(SIGNATURES)
        if unknown:
            raise ValueError(f"Unknown file types: {sorted(unknown)}")
        self.types = tuple(types)
        self.max_bytes = max_bytes

    def __eq__(self, other) -> bool:
        return isinstance(other, FileTypeValidator) and (self.types, self.max_bytes) == (other.types, other.max_bytes)

    def __hash__(self) -> int:
        return hash((self.types, self.max_bytes))

    @property
    def allowed_extensions(self) -> list[str]:
        return sorted({ext for t in self.types for ext in SIGNATURES[t][0]})

    def limit(self) -> int:
        site_limit = settings.UPLOAD_MAX_BYTES
        return min(self.max_bytes, site_limit) if self.max_bytes else site_limit

    def __call__(self, upload) -> None:
        # A stored file's name carries its folder ("organizations/logos/a.png"); people know it by the last part.
        name = posixpath.basename((getattr(upload, "name", "") or "").replace("\\", "/"))
        limit = self.limit()
        size = getattr(upload, "size", None) or 0
        if size > limit:
            raise ValidationError(
                _("“%(name)s” is %(size)s; the largest file accepted here is %(limit)s."),
                code="file_too_large",
                params={"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            )
        extension = name.rsplit(".", 1)[-1].lower() if "." in name.strip(".") else ""
        candidates = [t for t in self.types if extension in SIGNATURES[t][0]]
        if not candidates:
            raise ValidationError(
                _("“%(name)s”: files of this type are not accepted here; use one of: %(allowed)s."),
                code="file_extension",
                params={"name": name, "allowed": ", ".join(f".{ext}" for ext in self.allowed_extensions)},
            )
        head = self._head(upload)
        if not any(SIGNATURES[t][1](head) for t in candidates):
            raise ValidationError(
                _("The content of “%(name)s” is not a valid %(type)s file."),
                code="file_content",
                params={"name": name, "type": candidates[0].upper()},
            )

    @staticmethod
    def _head(upload) -> bytes:
        # Read the first bytes and put the file back where it was, so that saving it still writes it all.
        position = upload.tell()
        upload.seek(0)
        try:
            return upload.read(HEAD_BYTES) or b""
        finally:
            upload.seek(position)


validate_image_upload = FileTypeValidator(("png", "jpeg", "gif", "webp"), max_bytes=2 * 1024 * 1024)
