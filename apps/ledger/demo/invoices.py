"""Demo invoices: a few receivables and payables in every state (draft, issued, partly paid, paid, overdue,
void), made through the invoice services as a bookkeeper would."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from apps.core.models import Organization
from apps.core.money.amounts import round_to

from .. import services
from ..models import Account, AccountType, Counterparty, Invoice, InvoiceKind
from ..services.books import tag_find_or_create


def _demo_account(accounts: Mapping, names: Iterable[str], *, currency: str, types: set[str]) -> Account | None:
    for name in names:
        account = accounts.get(name)
        if isinstance(account, Account) and account.currency_id == currency and account.type in types:
            return account
    return None


def seed(*, organization: Organization, user, accounts: Mapping[str, Account]) -> list[Invoice]:
    """A few receivables and payables in various states (draft, issued, partly paid, paid, overdue, void) for
    the demo organization. ``accounts`` may name the chart's accounts: ``bank`` or ``cash`` (RUB, paid
    through), ``sales`` or ``income`` (income lines), ``rent``, ``services`` or ``expenses`` (expense lines);
    a line without an account falls back to the default accounts the invoices create on first use; the bank
    or cash account is required. Idempotent: invoices already seeded (found by their reference ``DEMO-…``)
    are left as they are."""
    today = organization.today()
    currency = "RUB"
    bank = _demo_account(accounts, ("bank", "cash"), currency=currency, types={AccountType.ASSET})
    if bank is None:
        raise ValueError("the demo invoices need a RUB bank or cash account (accounts['bank'])")
    income = _demo_account(accounts, ("sales", "income"), currency=currency, types={AccountType.INCOME})
    expense = _demo_account(
        accounts, ("services", "rent", "expenses", "expense"), currency=currency, types={AccountType.EXPENSE}
    )

    def counterparty(name: str, kind: str) -> Counterparty:
        match = [{"name__iexact": name}]
        return tag_find_or_create(
            Counterparty, organization=organization, match=match, defaults={"name": name, "kind": kind}
        )

    customers = [
        counterparty(name, Counterparty.Kind.CUSTOMER)
        for name in ("ООО «Ромашка»", "ИП Васильев", "Нортвинд Трейдерс (США)")
    ]
    suppliers = [counterparty(name, Counterparty.Kind.SUPPLIER) for name in ("ООО «Хостинг Плюс»", "АО «Офис-Центр»")]
    plan = [
        # reference, kind, counterparty, issued days ago, due in days, lines, payments (days ago, share), state
        ("DEMO-R1", InvoiceKind.RECEIVABLE, customers[0], 10, 20, [("Консультации", "12", "4500.00")], [], "issued"),
        ("DEMO-R2", InvoiceKind.RECEIVABLE, customers[1], 40, 14, [("Разработка сайта", "1", "120000.00")],
         [(20, Decimal("0.5"))], "issued"),
        ("DEMO-R3", InvoiceKind.RECEIVABLE, customers[2], 75, 30, [("Лицензия, год", "3", "9990.00")], [], "issued"),
        ("DEMO-R4", InvoiceKind.RECEIVABLE, customers[0], 30, 10, [("Поддержка, месяц", "1", "25000.00")],
         [(15, Decimal(1))], "issued"),
        ("DEMO-R5", InvoiceKind.RECEIVABLE, customers[1], 130, 30, [("Аудит", "1", "60000.00")], [], "issued"),
        ("DEMO-R6", InvoiceKind.RECEIVABLE, customers[2], 5, 30, [("Обучение", "2", "15000.00")], [], "draft"),
        ("DEMO-R7", InvoiceKind.RECEIVABLE, customers[0], 20, 10, [("Ошибочный счёт", "1", "1000.00")], [], "void"),
        ("DEMO-P1", InvoiceKind.PAYABLE, suppliers[0], 12, 15, [("Хостинг, месяц", "1", "8900.00")], [], "issued"),
        ("DEMO-P2", InvoiceKind.PAYABLE, suppliers[1], 50, 10, [("Аренда офиса", "1", "85000.00")],
         [(30, Decimal("0.4"))], "issued"),
        ("DEMO-P3", InvoiceKind.PAYABLE, suppliers[0], 45, 15, [("Домены", "4", "1290.00")], [(35, Decimal(1))],
         "issued"),
    ]  # fmt: skip
    seeded = []
    existing = {
        invoice.reference: invoice
        for invoice in Invoice.objects.filter(organization=organization, reference__startswith="DEMO-")
    }
    for reference, kind, counterparty, issued_ago, due_in, lines, payments, state in plan:
        if reference in existing:
            seeded.append(existing[reference])
            continue
        issue_date = today - timedelta(days=issued_ago)
        line_account = income if kind == InvoiceKind.RECEIVABLE else expense
        invoice = services.invoice_create(
            organization=organization,
            user=user,
            kind=kind,
            counterparty=counterparty,
            currency=currency,
            issue_date=issue_date,
            due_date=issue_date + timedelta(days=due_in),
            reference=reference,
            lines=[
                {"description": text, "quantity": qty, "unit_price": price, "account": line_account}
                for text, qty, price in lines
            ],
        )
        if state in ("issued", "void"):
            invoice = services.invoice_issue(invoice=invoice, user=user)
        for index, (paid_ago, share) in enumerate(payments):
            services.invoice_payment_record(
                invoice=invoice,
                user=user,
                amount=round_to(invoice.total * share, 2),
                date=max(today - timedelta(days=paid_ago), issue_date),
                account=bank,
                idempotency_key=f"demo:{reference}:{index}",
            )
        if state == "void":
            invoice = services.invoice_void(invoice=invoice, user=user, reason=_("issued by mistake"))
        seeded.append(invoice)
    services.invoices_mark_overdue(organization=organization)
    return seeded
