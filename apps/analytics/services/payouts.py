"""Affiliate payouts and the books: approving a payout posts, once, the receivable from the affiliate program
against income; paying it moves the receivable to cash; reversing an approved payout reverses that posting.

Every posting goes through the ledger's ``transaction_post`` with a product key made from the payout's id
(``payout:<id>:approve``, ``payout:<id>:pay``), so a repeated or concurrent approval posts one transaction:
the payout row is locked first, and the key would refuse a second posting even without the lock.
"""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.language.text import in_language_of
from apps.core.mechanisms.audit import audit_record
from apps.core.mechanisms.idempotency import mark_replay, product_key
from apps.core.models import Currency
from apps.core.money.amounts import check_precision, to_decimal
from apps.ledger.services import Leg, account_on_first_use, transaction_post, transaction_reverse

from ..models import AffiliateProgram, Offer, Payout

RECEIVABLE_PURPOSE = "receivable"
ASSET, INCOME = "asset", "income"


def _receivable_account(organization_id: int, currency: str):
    return account_on_first_use(
        organization_id=organization_id,
        currency=currency,
        purpose=RECEIVABLE_PURPOSE,
        code=f"AR-{currency}",
        name=gettext_lazy("Accounts receivable {currency}"),
        type=ASSET,
    )


def _income_account(organization_id: int, currency: str):
    return account_on_first_use(
        organization_id=organization_id,
        currency=currency,
        purpose="",
        code=f"AFFILIATE-{currency}",
        name=gettext_lazy("Affiliate income {currency}"),
        type=INCOME,
    )


def payout_create(
    *,
    organization,
    program: AffiliateProgram,
    period_start: Date,
    period_end: Date,
    amount,
    currency: str,
    offer: Offer | None = None,
    note: str = "",
    user=None,
) -> Payout:
    """Record a pending payout of ``program`` for a period; nothing is posted until it is approved."""
    organization_id = getattr(organization, "pk", organization)
    if program.organization_id != organization_id or (offer is not None and offer.organization_id != organization_id):
        raise ValidationError({"program": _("The affiliate program belongs to another organization.")})
    if period_end < period_start:
        raise ValidationError({"period_end": _("The period ends before it starts.")})
    amount = to_decimal(amount)
    if amount <= 0:
        raise ValidationError({"amount": _("A payout is a positive amount.")})
    found = Currency.objects.filter(pk=currency).first()
    if found is None:
        raise ValidationError({"currency": _("Unknown currency {code}.").format(code=currency)})
    check_precision(amount, currency=found.code, precision=found.precision)
    with transaction.atomic():
        payout = Payout.objects.create(
            organization_id=organization_id,
            program=program,
            offer=offer,
            period_start=period_start,
            period_end=period_end,
            amount=amount,
            currency=found,
            note=note,
        )
        audit_record(
            action="analytics.payout.create",
            actor=user,
            organization=organization_id,
            obj=payout,
            changes={"amount": str(amount), "currency": found.code},
        )
    return payout


def _locked(payout: Payout | int) -> Payout:
    return Payout.objects.select_for_update().select_related("program").get(pk=getattr(payout, "pk", payout))


def _description(payout: Payout, template) -> str:
    with in_language_of(payout.organization_id):  # stored text: the books' language, not the reader's
        return str(template).format(
            program=payout.program.name, start=payout.period_start.isoformat(), end=payout.period_end.isoformat()
        )


def payout_approve(*, payout: Payout | int, user=None, date: Date | None = None) -> Payout:
    """Approve a pending payout and post it: receivable from the program (debit) against affiliate income
    (credit), in the payout's currency, accounts created on first use. Approving again returns the payout as
    it stands (a replay), posting nothing; a rejected or reversed payout is refused."""
    with transaction.atomic():
        payout = _locked(payout)
        if payout.status in {Payout.Status.APPROVED, Payout.Status.PAID}:
            return mark_replay(payout, True)
        if payout.status != Payout.Status.PENDING:
            raise ValidationError(
                {"status": _("Only a pending payout can be approved; this one is {status}.").format(
                    status=payout.get_status_display().lower()
                )}
            )  # fmt: skip
        currency = payout.currency_id
        receivable = _receivable_account(payout.organization_id, currency)
        income = _income_account(payout.organization_id, currency)
        amount = Decimal(payout.amount)
        posting = transaction_post(
            organization=payout.organization_id,
            user=user,
            date=date or timezone.localdate(),
            entries=[Leg(receivable.pk, amount), Leg(income.pk, -amount)],
            idempotency_key=product_key("payout", payout.pk, "approve"),
            description=_description(payout, gettext_lazy("Affiliate payout approved: {program}, {start} – {end}")),
        )
        payout.status = Payout.Status.APPROVED
        payout.approval_transaction_id = posting.pk
        payout.approved_at = timezone.now()
        payout.save(update_fields=["status", "approval_transaction", "approved_at"])
        audit_record(
            action="analytics.payout.approve",
            actor=user,
            organization=payout.organization_id,
            obj=payout,
            changes={"transaction": posting.pk},
        )
    return mark_replay(payout, False)


def payout_pay(*, payout: Payout | int, cash_account, user=None, date: Date | None = None) -> Payout:
    """Record that the program paid an approved payout: cash (debit) against the receivable the approval
    posted (credit). Paying again returns the payout as it stands, posting nothing."""
    with transaction.atomic():
        payout = _locked(payout)
        if payout.status == Payout.Status.PAID:
            return mark_replay(payout, True)
        if payout.status != Payout.Status.APPROVED:
            raise ValidationError({"status": _("Only an approved payout can be paid.")})
        if (
            getattr(cash_account, "organization_id", None) != payout.organization_id
            or getattr(cash_account, "currency_id", None) != payout.currency_id
        ):
            raise ValidationError(
                {
                    "cash_account": _("Choose a cash or bank account of this organization in {currency}.").format(
                        currency=payout.currency_id
                    )
                }
            )
        receivable_id = (
            payout.approval_transaction.entries.filter(amount__gt=0).values_list("account_id", flat=True).get()
        )
        amount = Decimal(payout.amount)
        posting = transaction_post(
            organization=payout.organization_id,
            user=user,
            date=date or timezone.localdate(),
            entries=[Leg(cash_account.pk, amount), Leg(receivable_id, -amount)],
            idempotency_key=product_key("payout", payout.pk, "pay"),
            description=_description(payout, gettext_lazy("Affiliate payout received: {program}, {start} – {end}")),
        )
        payout.status = Payout.Status.PAID
        payout.payment_transaction_id = posting.pk
        payout.paid_at = timezone.now()
        payout.save(update_fields=["status", "payment_transaction", "paid_at"])
        audit_record(
            action="analytics.payout.pay",
            actor=user,
            organization=payout.organization_id,
            obj=payout,
            changes={"transaction": posting.pk, "cash_account": cash_account.pk},
        )
    return mark_replay(payout, False)


def payout_reverse(*, payout: Payout | int, user=None, date: Date | None = None, reason: str = "") -> Payout:
    """Reverse an approved (not yet paid) payout: the approval's posting is reversed through the ledger and
    the payout is marked reversed. Reversing again returns it as it stands. A paid payout is not reversed:
    the money arrived; a clawback is a new payout matter, not an undo."""
    with transaction.atomic():
        payout = _locked(payout)
        if payout.status == Payout.Status.REVERSED:
            return mark_replay(payout, True)
        if payout.status != Payout.Status.APPROVED:
            raise ValidationError({"status": _("Only an approved payout that is not paid yet can be reversed.")})
        reversal = transaction_reverse(transaction=payout.approval_transaction, user=user, date=date, reason=reason)
        payout.status = Payout.Status.REVERSED
        payout.reversal_transaction_id = reversal.pk
        payout.reversed_at = timezone.now()
        payout.save(update_fields=["status", "reversal_transaction", "reversed_at"])
        audit_record(
            action="analytics.payout.reverse",
            actor=user,
            organization=payout.organization_id,
            obj=payout,
            changes={"transaction": reversal.pk, "reason": reason},
        )
    return mark_replay(payout, False)


def payout_reject(*, payout: Payout | int, user=None, reason: str = "") -> Payout:
    """Reject a pending payout (the program will not pay it); nothing was posted, nothing is."""
    with transaction.atomic():
        payout = _locked(payout)
        if payout.status == Payout.Status.REJECTED:
            return mark_replay(payout, True)
        if payout.status != Payout.Status.PENDING:
            raise ValidationError({"status": _("Only a pending payout can be rejected.")})
        payout.status = Payout.Status.REJECTED
        if reason:
            payout.note = f"{payout.note}\n{reason}".strip()
        payout.save(update_fields=["status", "note"])
        audit_record(
            action="analytics.payout.reject",
            actor=user,
            organization=payout.organization_id,
            obj=payout,
            changes={"reason": reason},
        )
    return mark_replay(payout, False)
