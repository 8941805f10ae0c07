"""Billing's pages and tenancy: a member of another organization finds nothing of this one's payments,
receipts, invoices or subscription (404, the same as for something that does not exist)."""

from __future__ import annotations

import pytest

from apps.billing.models import Payment
from apps.billing.selectors import subscription_current
from apps.core.accounts.roles import Role
from tests.billing.pages_helpers import catalogue_without_trials, platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_subscription(client, organization, member_of, settings):
    """``organization`` on Pro, paid through the stub checkout by its owner."""
    platform(settings, yookassa=False, stub=True)
    catalogue_without_trials()
    client.force_login(member_of(organization, role=Role.OWNER))
    client.post(
        "/en/billing/checkout/", {"org": organization.slug, "plan": "pro", "currency": "RUB", "period": "month"}
    )
    payment = Payment.objects.get()
    client.post(f"/en/billing/checkout/stub/{payment.pk}/", {"outcome": "pay"})
    client.logout()
    return subscription_current(organization=organization), payment


def test_another_organizations_payment_receipt_and_invoice_are_not_found(
    client, organization, other_organization, member_of, paid_subscription
):
    subscription, payment = paid_subscription
    client.force_login(member_of(other_organization, role=Role.OWNER))

    for url in (
        f"/en/billing/return/?payment={payment.pk}",
        f"/en/billing/payments/{payment.pk}/status/",
        f"/en/billing/payments/{payment.pk}/receipt.pdf",
        f"/en/billing/checkout/stub/{payment.pk}/",
        f"/en/billing/subscriptions/{subscription.pk}/invoice.pdf",
        f"/en/billing/?org={organization.slug}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/en/billing/checkout/stub/{payment.pk}/", {"outcome": "decline"}).status_code == 404
    assert client.post("/en/billing/subscription/cancel/", {"org": organization.slug}).status_code == 404
    assert subscription_current(organization=organization).cancel_at_period_end is False
    # Their own billing page shows none of it.
    page = client.get("/en/billing/").content.decode()
    assert f'data-payment="{payment.pk}"' not in page


def test_the_owners_own_member_sees_the_receipt(client, organization, member_of, paid_subscription):
    _subscription, payment = paid_subscription
    client.force_login(member_of(organization, role=Role.BOOKKEEPER))

    assert client.get(f"/en/billing/payments/{payment.pk}/receipt.pdf").status_code == 200


def test_pages_other_than_pricing_need_a_signed_in_user(client, paid_subscription):
    _subscription, payment = paid_subscription
    assert client.get("/en/billing/pricing/").status_code == 200
    for url in ("/en/billing/", f"/en/billing/payments/{payment.pk}/receipt.pdf", "/en/billing/return/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]
