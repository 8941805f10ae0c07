"""Checks for uploaded files: size, and a type recognised from the file's own first bytes (its extension
and the browser's Content-Type are only claims)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# type name -> (accepted extensions, predicate on the first bytes)
SIGNATURES = {
    "png": ({"png"}, lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpeg": ({"jpg", "jpeg"}, lambda head: head.startswith(b"\xff\xd8\xff")),
    "gif": ({"gif"}, lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ({"webp"}, lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "pdf": ({"pdf"}, lambda head: head.startswith(b"%PDF-")),
    "xlsx": ({"xlsx"}, lambda head: head.startswith(b"PK\x03\x04")),
    "csv": ({"csv", "txt"}, lambda head: b"\x00" not in head),
}


def sniff(head: bytes) -> str | None:
    """The first known type whose signature matches ``head`` (text types last: they match almost anything)."""
    for name, (_exts, matches) in SIGNATURES.items():
        if name != "csv" and matches(head):
            return name
    return None


@deconstructible
class FileTypeValidator:
    """Accepts a file whose extension and content both are one of ``types`` and which is not too large."""

    def __init__(self, types: tuple[str, ...], max_bytes: int | None = None):
        unknown = set(types) - set(SIGNATURES)
        if unknown:
            raise ValueError(f"Unknown file types: {sorted(unknown)}")
        self.types = tuple(types)
        self.max_bytes = max_bytes

    def __eq__(self, other) -> bool:
        return isinstance(other, FileTypeValidator) and (self.types, self.max_bytes) == (other.types, other.max_bytes)

    def __call__(self, upload) -> None:
        limit = self.max_bytes or settings.UPLOAD_MAX_BYTES
        size = getattr(upload, "size", None) or 0
        if size > limit:
            raise ValidationError(
                _("The file is %(size)s; the largest accepted is %(limit)s."),
                code="file_too_large",
                params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
            )
        name = getattr(upload, "name", "") or ""
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        allowed = ", ".join(sorted({ext for t in self.types for ext in SIGNATURES[t][0]}))
        candidates = [t for t in self.types if extension in SIGNATURES[t][0]]
        if not candidates:
            raise ValidationError(
                _("Files ending in “.%(extension)s” are not accepted here; use one of: %(allowed)s."),
                code="file_extension",
                params={"extension": extension or "?", "allowed": allowed},
            )
        position = upload.tell() if hasattr(upload, "tell") else 0
        upload.seek(0)
        head = upload.read(64)
        upload.seek(position)
        if not any(SIGNATURES[t][1](head) for t in candidates):
            raise ValidationError(
                _("The content of “%(name)s” is not a valid %(type)s file."),
                code="file_content",
                params={"name": name.rsplit("/", 1)[-1], "type": candidates[0].upper()},
            )


validate_image_upload = FileTypeValidator(("png", "jpeg", "gif", "webp"), max_bytes=2 * 1024 * 1024)
