"""Billing's payment webhooks, taken through core's webhook inbox (apps.core.mechanisms.webhooks).

Each provider has a verifier (is the delivery to be believed?) and a handler (apply it, in Celery), in its
own module; both find the gateway by the random endpoint of its address,
``/billing/webhooks/<provider>/<endpoint>/`` (``GatewayAccount.endpoint``):

- ``billing.stripe`` (:mod:`.stripe`): the ``Stripe-Signature`` header, HMAC-SHA256 with the gateway's
  signing secret, 300 s tolerance; the event id is Stripe's ``evt_…``.
- ``billing.yookassa`` (:mod:`.yookassa`): the sender's address in YooKassa's published ranges, and the
  object re-fetched from YooKassa's API (the API's word is what is applied); the event id is
  ``<object id>:<event>``.
- ``billing.tbank`` (:mod:`.tbank`): the notification's ``Token`` with the terminal's password; the event id
  is ``<PaymentId>:<Status>``; answered ``OK``.

Handlers call billing's services only (payment_apply_state, refund_apply_state, the subscription services),
which are idempotent and order-independent; the inbox runs a handler once per (source, event id).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.core.mechanisms.webhooks import webhook_source_register

STRIPE = "billing.stripe"
YOOKASSA = "billing.yookassa"
TBANK = "billing.tbank"


def webhook_sources_register() -> None:
    """Register billing's three sources with the inbox (from BillingConfig.ready)."""
    from . import stripe, tbank, yookassa

    webhook_source_register(STRIPE, verify=stripe.verify, handle=stripe.handle, label=_("Stripe payments"))
    webhook_source_register(YOOKASSA, verify=yookassa.verify, handle=yookassa.handle, label=_("YooKassa payments"))
    webhook_source_register(TBANK, verify=tbank.verify, handle=tbank.handle, label=_("T-Bank payments"))
