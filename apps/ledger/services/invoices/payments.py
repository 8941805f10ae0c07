"""Payments allocated to an invoice, and their reversal. A payment's posting carries the key
``invoice-payment:<invoice id>:<caller's key>``, so a repeated submission pays once."""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.language.formatting import format_date, format_money
from apps.core.language.text import in_language_of
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import clean_client_key, mark_replay, product_key, replay_of
from apps.core.money.amounts import check_precision, round_to, to_decimal

from ...models import (
    Account,
    Invoice,
    InvoiceKind,
    InvoicePayment,
    InvoiceStatus,
    Transaction,
)
from .. import purposes
from ..common import pk as _pk
from ..common import user_id as _user_id
from ..posting import Leg, transaction_post
from ..purposes import account_purpose_check
from .base import _account_label, _label, _lock, _require_write, _reversal_of, _status_for


def invoice_payment_record(
    *,
    invoice: Invoice | int,
    user,
    amount,
    date: Date,
    account: Account | int,
    idempotency_key: str,
) -> InvoicePayment:
    """Record a payment of ``amount`` on ``date`` through the cash or bank ``account`` and allocate it to the
    invoice: debit cash, credit the receivable (or debit the payable, credit cash). Repeating the same
    ``idempotency_key`` returns the first payment and posts nothing."""
    key = clean_client_key(idempotency_key)
    with transaction.atomic():
        locked = _lock(invoice)
        _require_write(user, locked.organization_id)
        posting_key = product_key("invoice-payment", locked.pk, key)
        repeated = (
            InvoicePayment.objects.filter(invoice_id=locked.pk, transaction__idempotency_key=posting_key)
            .select_related("transaction")
            .first()
        )
        if repeated is not None:
            return replay_of(
                repeated,
                key,
                (
                    (_("amount"), _same_amount(repeated.amount, amount)),
                    (_("date"), repeated.date == date),
                    (_("account"), repeated.account_id == _pk(account)),
                ),
            )
        label = _label(locked)
        if locked.status == InvoiceStatus.DRAFT:
            raise ValidationError(
                _("Invoice {invoice} is a draft: issue it before recording a payment.").format(invoice=label),
                code="not_issued",
            )
        if locked.status == InvoiceStatus.VOID:
            raise ValidationError(
                _("Invoice {invoice} is void: it takes no payments.").format(invoice=label), code="void"
            )
        if locked.status == InvoiceStatus.PAID:
            raise ValidationError(
                _("Invoice {invoice} is already paid in full.").format(invoice=label), code="already_paid"
            )
        errors = {}
        amount = to_decimal(amount, field="amount")
        outstanding = locked.outstanding
        if amount <= 0:
            errors["amount"] = _("The amount must be above zero.")
        elif amount > outstanding:
            errors["amount"] = _("{amount} is more than the {outstanding} still due on {invoice}.").format(
                amount=format_money(amount, locked.currency),
                outstanding=format_money(round_to(outstanding, locked.currency.precision), locked.currency),
                invoice=label,
            )
        else:
            try:
                check_precision(amount, currency=locked.currency_id, precision=locked.currency.precision)
            except ValidationError as error:
                errors.update(error.message_dict)
        if not isinstance(date, Date):
            errors["date"] = _("A date is required.")
        elif date < locked.issue_date:
            errors["date"] = _("The payment date {date} is before the invoice's issue date {issued}.").format(
                date=format_date(date), issued=format_date(locked.issue_date)
            )
        cash = purposes.accounts_with_children_flag(locked.organization_id, [_pk(account)]).get(_pk(account))
        try:
            account_purpose_check(cash, purposes.CASH)
        except ValidationError as error:
            errors.update(error.message_dict)
        else:
            if cash.currency_id != locked.currency_id:
                errors["account"] = _(
                    "Account {account} holds {account_currency}; the invoice is in {currency}."
                ).format(account=_account_label(cash), account_currency=cash.currency_id, currency=locked.currency_id)
            elif cash.pk == locked.balance_account_id:
                errors["account"] = _("Choose the cash or bank account the money moved through, not {account}.").format(
                    account=_account_label(cash)
                )
        if errors:
            raise ValidationError(errors)
        counterparty_id = locked.counterparty_id
        if locked.kind == InvoiceKind.RECEIVABLE:
            legs = [
                Leg(cash.pk, amount, counterparty=counterparty_id, memo=label),
                Leg(locked.balance_account_id, -amount, counterparty=counterparty_id, memo=label),
            ]
        else:
            legs = [
                Leg(locked.balance_account_id, amount, counterparty=counterparty_id, memo=label),
                Leg(cash.pk, -amount, counterparty=counterparty_id, memo=label),
            ]
        with in_language_of(locked.organization_id):
            description = _("Payment of invoice {number}, {counterparty}").format(
                number=label, counterparty=locked.counterparty
            )
        posted = transaction_post(
            organization=locked.organization_id,
            user=user,
            date=date,
            entries=legs,
            idempotency_key=posting_key,
            description=description,
            kind=Transaction.Kind.PAYMENT,
        )
        payment = InvoicePayment.objects.create(
            organization_id=locked.organization_id,
            invoice=locked,
            date=date,
            amount=amount,
            account=cash,
            transaction=posted,
            created_by_id=_user_id(user),
        )
        before = locked.status
        locked.paid_amount += amount
        locked.status = _status_for(locked, locked.organization.today())
        locked.save(update_fields=["paid_amount", "status"])
        audit_record(
            action="ledger.invoice.pay",
            actor=user,
            organization=locked.organization_id,
            obj=locked,
            changes={
                "amount": str(amount),
                "paid_amount": str(locked.paid_amount),
                "status": [before, locked.status],
                "transaction": posted.pk,
            },
        )
    payment.invoice = locked
    return mark_replay(payment, False)


def _same_amount(recorded: Decimal, asked) -> bool:
    try:
        return recorded == to_decimal(asked, field="amount")
    except ValidationError:
        return False


def invoice_payment_reverse(
    *, payment: InvoicePayment | int, user, date: Date | None = None, reason: str = ""
) -> InvoicePayment:
    """Reverse a payment (a mistake, a bounced transfer): post the reversal of its posting and take it off the
    invoice's paid amount. Reversing a reversed payment changes nothing. If the payment's posting was already
    reversed directly in the books, that reversal is adopted."""
    invoice_id = InvoicePayment.objects.values_list("invoice_id", flat=True).get(pk=_pk(payment))
    with transaction.atomic():
        locked = _lock(invoice_id)
        _require_write(user, locked.organization_id)
        payment = InvoicePayment.objects.select_for_update().select_related("transaction").get(pk=_pk(payment))
        if payment.reversal_transaction_id is not None:
            return payment
        reversal = _reversal_of(
            payment.transaction,
            user=user,
            date=date or max(locked.organization.today(), payment.date),
            reason=reason or _("payment of invoice {invoice} reversed").format(invoice=_label(locked)),
        )
        payment.reversal_transaction = reversal
        payment.save(update_fields=["reversal_transaction"])
        before = locked.status
        locked.paid_amount -= payment.amount
        locked.status = _status_for(locked, locked.organization.today())
        locked.save(update_fields=["paid_amount", "status"])
        audit_record(
            action="ledger.invoice.payment_reverse",
            actor=user,
            organization=locked.organization_id,
            obj=locked,
            changes={
                "payment": payment.pk,
                "amount": str(payment.amount),
                "status": [before, locked.status],
                "reversal": reversal.pk,
                "reason": reason,
            },
        )
    payment.invoice = locked
    return payment
