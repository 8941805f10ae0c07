"""Upload checks: the content must be what the name claims, of an accepted type, and not too large; each
refusal names the file and says what would be accepted."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation

from apps.core.models import Organization
from apps.core.validation.files import FileTypeValidator, sniff, validate_image_upload
from tests.core.factories import OrganizationFactory


@pytest.fixture(autouse=True)
def _english():
    # Sizes are formatted in the active language when the check runs ("2,0 МБ" in Russian).
    with translation.override("en"):
        yield


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, decodable PNG image (red pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def message_of(error: ValidationError) -> str:
    return " ".join(error.messages).replace("\xa0", " ")


def test_a_real_png_is_accepted_and_can_still_be_saved_whole():
    file = upload("logo.png", png_bytes())
    file.seek(5)

    validate_image_upload(file)

    assert file.tell() == 5  # put back where it was
    file.seek(0)
    assert file.read() == png_bytes()


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
        ("photo.JPEG", b"\xff\xd8\xff\xdb"),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00"),
        ("pic.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 "),
    ],
)
def test_other_image_types_are_recognised_by_their_content(name, head):
    validate_image_upload(upload(name, head + b"\x00" * 64))


def test_a_text_file_named_png_is_refused_naming_the_file():
    with pytest.raises(ValidationError) as caught:
        validate_image_upload(upload("logo.png", b"<svg onload=alert(1)>not really an image</svg>"))

    assert caught.value.error_list[0].code == "file_content"
    assert message_of(caught.value) == "The content of “logo.png” is not a valid PNG file."


def test_a_jpeg_named_png_is_refused():
    with pytest.raises(ValidationError, match="not a valid PNG file"):
        validate_image_upload(upload("logo.png", b"\xff\xd8\xff\xe0" + b"\x00" * 64))


def test_a_too_large_file_is_refused_with_both_sizes():
    validator = FileTypeValidator(("png",), max_bytes=100)
    content = png_bytes(8, 8) + b"\x00" * 200

    with pytest.raises(ValidationError) as caught:
        validator(upload("big.png", content))

    assert caught.value.error_list[0].code == "file_too_large"
    assert message_of(caught.value) == (
        f"“big.png” is {len(content)} bytes; the largest file accepted here is 100 bytes."
    )


def test_the_image_limit_is_two_megabytes():
    content = png_bytes() + b"\x00" * (2 * 1024 * 1024)

    with pytest.raises(ValidationError) as caught:
        validate_image_upload(upload("huge.png", content))

    assert message_of(caught.value) == "“huge.png” is 2.0 MB; the largest file accepted here is 2.0 MB."


@override_settings(UPLOAD_MAX_BYTES=50)
def test_the_site_wide_limit_caps_a_field_limit():
    with pytest.raises(ValidationError, match="largest file accepted here is 50"):
        FileTypeValidator(("png",), max_bytes=10_000)(upload("logo.png", png_bytes()))


@override_settings(UPLOAD_MAX_BYTES=50)
def test_without_a_field_limit_the_site_wide_limit_applies():
    with pytest.raises(ValidationError, match="largest file accepted here is 50"):
        FileTypeValidator(("png",))(upload("logo.png", png_bytes()))


@pytest.mark.parametrize("name", ["logo.svg", "logo.png.exe", "logo", "logo."])
def test_a_wrong_extension_is_refused_listing_the_allowed_ones(name):
    with pytest.raises(ValidationError) as caught:
        validate_image_upload(upload(name, png_bytes()))

    assert caught.value.error_list[0].code == "file_extension"
    assert message_of(caught.value) == (
        f"“{name}”: files of this type are not accepted here; use one of: .gif, .jpeg, .jpg, .png, .webp."
    )


def test_a_stored_file_is_named_without_its_folder():
    file = upload("evil.png", b"plain text")
    file.name = "organizations/logos/evil.png"

    with pytest.raises(ValidationError) as caught:
        validate_image_upload(file)

    assert "“evil.png”" in message_of(caught.value)
    assert "organizations/" not in message_of(caught.value)


def test_csv_accepts_text_and_refuses_binary():
    validator = FileTypeValidator(("csv",))

    validator(upload("spend.csv", "date;campaign;spend\n2025-01-01;Весна;10.50\n".encode(), "text/csv"))
    with pytest.raises(ValidationError, match="“spend.csv” is not a valid CSV file"):
        validator(upload("spend.csv", b"PK\x03\x04\x00\x00binary", "text/csv"))
    with pytest.raises(ValidationError, match="not a valid CSV file"):
        validator(upload("latin1.csv", "café;1\n".encode("latin-1"), "text/csv"))


def test_a_multibyte_character_cut_by_the_sniffed_head_is_still_text():
    validator = FileTypeValidator(("csv",))
    # Cyrillic letters take two bytes; after one ASCII byte, the first 2048 bytes end in the middle of one.
    validator(upload("long.csv", b"x" + ("а" * 5000).encode(), "text/csv"))


def test_sniff_recognises_binary_types_and_never_guesses_text():
    assert sniff(png_bytes()) == "png"
    assert sniff(b"%PDF-1.7\n") == "pdf"
    assert sniff(b"just some text") is None


def test_validators_compare_and_hash_by_their_arguments():
    # Migrations compare validators: equal arguments must mean equal validators.
    assert FileTypeValidator(("png", "jpeg", "gif", "webp"), max_bytes=2 * 1024 * 1024) == validate_image_upload
    assert FileTypeValidator(("png",)) != FileTypeValidator(("png",), max_bytes=1)
    assert len({FileTypeValidator(("png",)), FileTypeValidator(("png",))}) == 1
    with pytest.raises(ValueError, match="Unknown file types"):
        FileTypeValidator(("exe",))


def test_the_organization_logo_field_uses_the_check():
    organization = OrganizationFactory.build(logo=upload("logo.png", b"GIF89a pretending"))
    others = [field.name for field in Organization._meta.fields if field.name != "logo"]

    with pytest.raises(ValidationError) as caught:
        organization.clean_fields(exclude=others)

    assert caught.value.message_dict["logo"] == ["The content of “logo.png” is not a valid PNG file."]
