"""PDF documents of billing, in the reader's language and without system packages: a receipt for a payment
(the 54-FZ items of its receipt, VAT, totals) and an invoice for a bank transfer of a subscription's price.

fpdf2 draws them with DejaVu Sans embedded (``static/fonts/DejaVuSans*.ttf``, from Debian's fonts-dejavu-core;
Bitstream Vera licence with DejaVu's changes in the public domain: free to embed and redistribute), which
covers Cyrillic. Amounts and dates are written by apps.core.language.formatting in the given language
(«1 990,00 RUB», «05.12.2026»).

The receipt is Kontora's payment confirmation; the fiscal receipt itself (чек ККТ) is issued by the
provider's online cash register from the same items (apps/billing/providers/receipts.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from apps.core.language.formatting import currency_precision, format_date, format_money, format_quantity
from apps.core.models import Organization

from .models import Payment, PaymentStatus, RefundStatus, Subscription
from .providers import Receipt

# fontTools logs every subsetting step at INFO: one screenful per document.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"
FONT = "DejaVu"

# VAT of YooKassa's codes (apps/billing/providers/receipts.py): (rate for the label, share of the gross amount).
VAT_RATES = {
    1: (None, Decimal(0)),
    2: (Decimal(0), Decimal(0)),
    3: (Decimal(10), Decimal(10) / Decimal(110)),
    4: (Decimal(20), Decimal(20) / Decimal(120)),
    5: (Decimal(10), Decimal(10) / Decimal(110)),
    6: (Decimal(20), Decimal(20) / Decimal(120)),
}


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    price: Decimal
    total: Decimal
    vat_code: int


def vat_label(code: int) -> str:
    rate, _share = VAT_RATES.get(code, (None, Decimal(0)))
    if rate is None:
        return _("No VAT")
    return _("VAT {rate}%").format(rate=format_quantity(rate))


def vat_amount(total: Decimal, code: int, precision: int) -> Decimal:
    """The VAT included in a gross ``total`` (rounded half up to the currency's precision)."""
    _rate, share = VAT_RATES.get(code, (None, Decimal(0)))
    return (total * share).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)


def _document(title: str, *, compress: bool) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_creator("Kontora")
    pdf.set_title(title)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    return pdf


def _pairs(pdf: FPDF, pairs: list[tuple[str, str]]) -> None:
    for label, value in pairs:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(52, 6, label)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _lines_table(pdf: FPDF, lines: list[Line], currency) -> None:
    pdf.set_font(FONT, "", 9)
    headings = (_("Item"), _("Quantity"), _("Price"), _("VAT"), _("Amount"))
    with pdf.table(
        col_widths=(70, 20, 32, 22, 32),
        text_align=("LEFT", "RIGHT", "RIGHT", "LEFT", "RIGHT"),
        line_height=6,
        first_row_as_headings=True,
    ) as table:
        table.row(headings)
        for line in lines:
            table.row(
                (
                    line.description,
                    format_quantity(line.quantity),
                    format_money(line.price, currency),
                    vat_label(line.vat_code),
                    format_money(line.total, currency),
                )
            )
    pdf.ln(3)


def _totals(pdf: FPDF, rows: list[tuple[str, str]]) -> None:
    for index, (label, value) in enumerate(rows):
        pdf.set_font(FONT, "B" if index == 0 else "", 11 if index == 0 else 10)
        pdf.cell(130, 7, label, align="R")
        pdf.cell(0, 7, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _vat_rows(lines: list[Line], currency, precision: int) -> list[tuple[str, str]]:
    by_code: dict[int, Decimal] = {}
    for line in lines:
        by_code[line.vat_code] = by_code.get(line.vat_code, Decimal(0)) + line.total
    rows = []
    for code, total in sorted(by_code.items()):
        if VAT_RATES.get(code, (None,))[0] is None:
            rows.append((_("No VAT"), "—"))
        else:
            rows.append(
                (
                    _("including {vat}").format(vat=vat_label(code)),
                    format_money(vat_amount(total, code, precision), currency),
                )
            )
    return rows


def _platform_name() -> str:
    slug = getattr(settings, "KONTORA_PLATFORM_ORGANIZATION", "")
    organization = Organization.objects.filter(slug=slug).first() if slug else None
    return organization.name if organization else "Kontora"


def _payer(payment: Payment) -> str:
    if payment.purpose_type == "billing.subscription" and payment.purpose_id.isdigit():
        subscription = Subscription.objects.filter(pk=int(payment.purpose_id)).select_related("organization").first()
        if subscription is not None:
            return subscription.organization.name
    return payment.customer_email or "—"


def payment_lines(payment: Payment) -> list[Line]:
    """The payment's 54-FZ items, or one line of its description when it carries no receipt (Stripe)."""
    receipt = Receipt.from_json(payment.receipt)
    if receipt is None:
        return [Line(payment.description or str(payment), Decimal(1), payment.amount, payment.amount, 1)]
    return [Line(item.description, item.quantity, item.amount, item.total, item.vat_code) for item in receipt.items]


def receipt_pdf(*, payment: Payment, language: str | None = None, compress: bool = True) -> bytes:
    """A receipt for a succeeded payment in ``language`` (the reader's): seller, payer, the items with VAT,
    the total, and what has been refunded of it."""
    if payment.status != PaymentStatus.SUCCEEDED:
        raise ValueError("a receipt is issued for a succeeded payment only")
    with translation.override(language or settings.LANGUAGE_CODE):
        currency = payment.currency
        precision = currency_precision(currency)
        lines = payment_lines(payment)
        paid_at = timezone.localtime(payment.succeeded_at or payment.updated_at)
        pdf = _document(_("Payment receipt No. {number}").format(number=payment.pk), compress=compress)
        _pairs(
            pdf,
            [
                (_("Date"), format_date(paid_at)),
                (_("Seller"), payment.organization.name),
                (_("Payer"), _payer(payment)),
                (_("Customer's e-mail"), payment.customer_email or "—"),
                (_("Paid through"), payment.gateway.get_provider_display()),
                (_("Provider's payment id"), payment.provider_payment_id or "—"),
                (_("Settlement type"), _("Income (payment received)")),
            ],
        )
        _lines_table(pdf, lines, currency)
        total = sum((line.total for line in lines), Decimal(0))
        rows = [(_("Total"), format_money(total, currency)), *_vat_rows(lines, currency, precision)]
        refunded = sum((refund.amount for refund in payment.refunds.filter(status=RefundStatus.SUCCEEDED)), Decimal(0))
        if refunded:
            rows.append((_("Refunded"), format_money(refunded, currency)))
        _totals(pdf, rows)
        pdf.set_font(FONT, "", 8)
        pdf.multi_cell(
            0,
            4,
            _(
                "The fiscal receipt under Federal Law 54-FZ is issued by the payment provider's online cash register "
                "and sent to the customer's e-mail or phone."
            ),
        )
        return bytes(pdf.output())


def invoice_pdf(*, subscription: Subscription, language: str | None = None, compress: bool = True) -> bytes:
    """An invoice for a bank transfer of the subscription's price (or of its upgrade awaiting payment)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        price = subscription.pending_price or subscription.price
        if price is None:
            raise ValueError("a free subscription has nothing to invoice")
        currency = price.currency
        precision = currency_precision(currency)
        amount = subscription.pending_amount if subscription.pending_amount is not None else price.amount
        plan = subscription.pending_plan or subscription.plan
        vat_code = int(getattr(settings, "KONTORA_BILLING_VAT_CODE", 1))
        description = _("Kontora subscription: plan “{plan}”, one {period}").format(
            plan=plan.name, period=price.get_period_display()
        )
        lines = [Line(description, Decimal(1), amount, amount, vat_code)]
        number = f"SUB-{subscription.pk}"
        today = timezone.localdate()
        pdf = _document(_("Invoice No. {number}").format(number=number), compress=compress)
        seller = getattr(settings, "KONTORA_BILLING_SELLER_DETAILS", "") or _platform_name()
        _pairs(
            pdf,
            [
                (_("Date"), format_date(today)),
                (_("Seller"), seller),
                (_("Buyer"), subscription.organization.name),
                (_("Payment purpose"), _("Payment under invoice No. {number}").format(number=number)),
            ],
        )
        _lines_table(pdf, lines, currency)
        _totals(pdf, [(_("Total due"), format_money(amount, currency)), *_vat_rows(lines, currency, precision)])
        pdf.set_font(FONT, "", 8)
        pdf.multi_cell(
            0,
            4,
            _("Please state the invoice number in the payment purpose. The plan applies once the payment arrives."),
        )
        return bytes(pdf.output())
