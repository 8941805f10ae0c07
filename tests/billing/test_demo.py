"""Billing's demo data: plans, the demo organization's subscription, and its customers' payments, fees and a
refund in its books, seeded through the services and only once."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from apps.billing.models import GatewayAccount, GatewayMode, Payment, PaymentStatus, Plan, Refund, RefundStatus
from apps.billing.selectors import subscription_current
from apps.core.models import Organization
from apps.core.operations.demo import seed_demo
from apps.ledger.models import AccountBalance, Transaction
from apps.ledger.selectors import books_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    seed_demo()
    return Organization.objects.get(slug="demo")


def test_the_demo_has_plans_a_subscription_and_a_test_gateway(demo):
    assert set(Plan.objects.values_list("code", flat=True)) >= {"free", "start", "pro"}
    subscription = subscription_current(organization=demo)
    assert subscription is not None
    assert subscription.plan.code == "pro"
    gateway = GatewayAccount.objects.get(organization=demo)
    assert gateway.mode == GatewayMode.TEST


def test_the_demo_payments_fees_and_refund_are_in_the_books(demo):
    payments = Payment.objects.filter(organization=demo, idempotency_key__startswith="demo:billing:")
    succeeded = payments.filter(status=PaymentStatus.SUCCEEDED)
    assert succeeded.count() == 3
    assert payments.filter(status=PaymentStatus.PENDING).count() == 1
    refund = Refund.objects.get(organization=demo)
    assert (refund.status, refund.amount) == (RefundStatus.SUCCEEDED, Decimal("1200.00"))

    gateway = GatewayAccount.objects.get(organization=demo)
    clearing = AccountBalance.objects.get(account=gateway.clearing_account)
    received = succeeded.aggregate(total=Sum("amount"))["total"]
    fees = succeeded.aggregate(total=Sum("fee"))["total"]
    # What the provider holds for the organization: what customers paid, less its fees and the refund.
    assert clearing.balance == received - fees - refund.amount
    assert Transaction.objects.filter(organization=demo, idempotency_key__startswith="billing:").count() == 7
    assert books_verify(organization_id=demo.pk) == []


def test_running_the_demo_again_adds_nothing(demo):
    before = (Payment.objects.count(), Refund.objects.count(), Transaction.objects.count())
    subscription = subscription_current(organization=demo)

    seed_demo()

    assert (Payment.objects.count(), Refund.objects.count(), Transaction.objects.count()) == before
    assert subscription_current(organization=demo) == subscription
