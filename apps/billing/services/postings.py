"""The books of payments and refunds, each event posted exactly once through apps.ledger.services under a
product key of the provider's own id: ``billing:<provider>:payment:<id>``, ``billing:<provider>:fee:<id>``,
``billing:<provider>:refund:<refund id>``. Posting an event again finds its key and posts nothing.

- A captured payment: the gateway's clearing account (an asset: the money the provider holds for us) debit,
  against income; or, when the payment is for a ledger invoice, the invoice is paid through
  ``invoice_payment_record`` (clearing against the receivable).
- The provider's fee: the fee account (an expense) against clearing.
- A refund: clearing credit against the income account (a refund gives back a sale).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.core.language.text import in_language_of
from apps.core.mechanisms.idempotency import product_key
from apps.ledger.models import Transaction
from apps.ledger.services import Leg, transaction_post
from apps.ledger.services.invoices import invoice_payment_record

from ..models import Payment, Refund
from .gateways import gateway_ledger_accounts

INVOICE_PURPOSE = "ledger.invoice"


def _key(payment: Payment, event: str, provider_id: str):
    return product_key("billing", payment.gateway.provider, event, provider_id)


def payment_post(*, payment: Payment) -> None:
    """Book a succeeded payment's captured amount, and its fee when known. Runs in the caller's transaction."""
    clearing, fee_account, income = gateway_ledger_accounts(payment.gateway, payment.currency_id)
    organization = payment.organization
    date = organization.today()
    captured = payment.captured_amount
    key = _key(payment, "payment", payment.provider_payment_id)
    if captured > 0:
        booked = False
        if payment.purpose_type == INVOICE_PURPOSE and payment.purpose_id:
            try:
                # The invoice's own service books it (clearing against the receivable) and marks it paid; its
                # key is a plain string it namespaces for the invoice (invoice-payment:<invoice>:<key>).
                invoice_payment_record(
                    invoice=int(payment.purpose_id),
                    user=None,
                    amount=captured,
                    date=date,
                    account=clearing,
                    idempotency_key=str(key),
                )
                booked = True
            except ValidationError as error:
                # The invoice cannot take it (already paid, voided, less due): the money came all the same.
                # It is booked as income and a person is told why.
                payment.metadata = {
                    **payment.metadata,
                    "books_note": "; ".join(error.messages),
                }
                Payment.objects.filter(pk=payment.pk).update(metadata=payment.metadata)
        if not booked:
            with in_language_of(payment.organization_id):
                description = _("Payment {id} through {provider}").format(
                    id=payment.provider_payment_id, provider=payment.gateway.get_provider_display()
                )
            transaction_post(
                organization=payment.organization_id,
                user=None,
                date=date,
                entries=[Leg(clearing.pk, captured), Leg(income.pk, -captured)],
                idempotency_key=key,
                description=description,
                kind=Transaction.Kind.INCOME,
            )
    fee_post(payment=payment)


def fee_post(*, payment: Payment) -> None:
    """Book the provider's fee (once known) as an expense against clearing."""
    if not payment.fee or payment.fee <= 0:
        return
    clearing, fee_account, _income = gateway_ledger_accounts(payment.gateway, payment.currency_id)
    with in_language_of(payment.organization_id):
        description = _("{provider} fee on payment {id}").format(
            id=payment.provider_payment_id, provider=payment.gateway.get_provider_display()
        )
    transaction_post(
        organization=payment.organization_id,
        user=None,
        date=payment.organization.today(),
        entries=[Leg(fee_account.pk, payment.fee), Leg(clearing.pk, -payment.fee)],
        idempotency_key=_key(payment, "fee", payment.provider_payment_id),
        description=description,
        kind=Transaction.Kind.EXPENSE,
    )


def refund_post(*, refund: Refund) -> None:
    """Book a succeeded refund: clearing credit against income."""
    payment = refund.payment
    clearing, _fee, income = gateway_ledger_accounts(payment.gateway, payment.currency_id)
    with in_language_of(payment.organization_id):
        description = _("Refund {refund} of payment {id} through {provider}").format(
            refund=refund.provider_refund_id,
            id=payment.provider_payment_id,
            provider=payment.gateway.get_provider_display(),
        )
    transaction_post(
        organization=payment.organization_id,
        user=None,
        date=payment.organization.today(),
        entries=[Leg(income.pk, refund.amount), Leg(clearing.pk, -refund.amount)],
        idempotency_key=_key(payment, "refund", refund.provider_refund_id),
        description=description,
        kind=Transaction.Kind.COMPLEX,
    )
