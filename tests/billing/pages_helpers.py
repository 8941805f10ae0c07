"""What the billing page, PDF and demo tests share: the platform's organization and the text of a PDF."""

from __future__ import annotations

import re

from apps.billing.models import Plan
from apps.billing.services.plans import plans_ensure_defaults
from tests.billing.conftest import CREDENTIALS
from tests.core.factories import OrganizationFactory


def platform(settings, *, yookassa: bool = True, stub: bool = False):
    """The platform's organization (KONTORA_PLATFORM_ORGANIZATION), with YooKassa credentials in the
    environment when ``yookassa``, and the stub checkout switched on when ``stub``."""
    organization = OrganizationFactory(name="ООО «Контора»", slug="kontora-platform")
    settings.KONTORA_PLATFORM_ORGANIZATION = organization.slug
    settings.KONTORA_PAYMENTS_TEST_MODE = True
    settings.KONTORA_BILLING_STUB_CHECKOUT = stub
    credentials = CREDENTIALS["yookassa"] if yookassa else {"shop_id": "", "secret_key": ""}
    settings.KONTORA_YOOKASSA_SHOP_ID = credentials["shop_id"]
    settings.KONTORA_YOOKASSA_SECRET_KEY = credentials["secret_key"]
    return organization


def catalogue_without_trials() -> dict[str, Plan]:
    """The default plans, their trials taken away (so that choosing a paid plan asks for a payment)."""
    plans = {plan.code: plan for plan in plans_ensure_defaults()}
    Plan.objects.update(trial_days=0)
    return plans


_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>")
_TEXT = re.compile(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", re.S)


def _unescape(raw: bytes) -> bytes:
    return re.sub(rb"\\(.)", lambda match: {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(match[1], match[1]), raw)


def pdf_text(data: bytes) -> list[str]:
    """The strings an uncompressed fpdf2 PDF shows, decoded through each embedded font's ToUnicode map
    (the text is written as glyph numbers of a font subset: without the map no word can be found)."""
    assert data.startswith(b"%PDF-"), data[:20]
    objects = {int(number): body for number, body in _OBJECT.findall(data)}
    fonts: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            font = objects[int(ref)]
            to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font)
            if to_unicode is None:
                continue
            cmap = objects[int(to_unicode[1])]
            fonts[name] = {
                int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be") for code, text in _BFCHAR.findall(cmap)
            }
    shown, font = [], {}
    for match in _TEXT.finditer(data):
        if match[1]:
            font = fonts.get(match[1], {})
            continue
        raw = _unescape(match[2])
        shown.append("".join(font.get(int.from_bytes(raw[i : i + 2], "big"), "?") for i in range(0, len(raw), 2)))
    # Table cells print a no-break space as a plain one; read both alike.
    return [text.replace("\u00a0", " ") for text in shown]
