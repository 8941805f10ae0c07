"""Billing's API: payments started with a key (201, then 200 on a repeat), listed and read with filters and a
fixed query budget, refunded (refusing more than is left, in the shared error shape), the organization's
subscription, the plans and the usage; another organization's payment is not found."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.billing.models import Payment, Refund, Subscription
from apps.billing.services.payments import payment_sync
from apps.billing.services.plans import plans_ensure_defaults
from apps.core.accounts import tokens
from tests.helpers import assert_nothing_written
from tests.tenancy_samples import TENANT_SAMPLES

pytestmark = pytest.mark.django_db

API = "/api/v1/billing"


def _client(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=user, family=uuid.uuid4())}")
    return client


@pytest.fixture
def api(organization, member_of):
    return _client(member_of(organization, "owner"))


def _start(api, gateway, key="order-1", amount="1500.00", **extra):
    body = {"gateway": gateway.pk, "amount": amount, "currency": "RUB", "description": "Order 1",
            "return_url": "https://shop.example.com/done", **extra}  # fmt: skip
    return api.post(f"{API}/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_payment_is_started_with_a_key_and_a_repeat_answers_the_same_payment(api, providers, gateway_for):
    gateway = gateway_for("yookassa")
    first = _start(api, gateway)
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["status"] == "pending"
    assert body["amount"] == "1500.00"
    assert body["confirmation_url"].startswith("https://")

    again = _start(api, gateway)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Payment.objects.count() == 1
    assert len([seen for seen in providers.yookassa.requests if seen.method == "POST"]) == 1

    conflict = _start(api, gateway, amount="10.00")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"]


def test_a_payment_without_a_key_or_through_someone_else_s_gateway_is_refused(
    api, providers, gateway_for, other_organization
):
    gateway = gateway_for("yookassa")
    theirs = gateway_for("yookassa", organization=other_organization)
    with assert_nothing_written("billing"):
        no_key = api.post(f"{API}/payments/", {"gateway": gateway.pk, "amount": "1", "currency": "RUB",
                                                "return_url": "https://x.example.com/"}, format="json")  # fmt: skip
        foreign = _start(api, theirs, key="k-2")
    assert no_key.status_code == 400
    assert "idempotency_key" in no_key.json()["error"]["fields"]
    assert foreign.status_code == 400
    assert "gateway" in foreign.json()["error"]["fields"]
    assert providers.yookassa.requests == []


def test_a_viewer_may_read_payments_but_not_start_one(organization, member_of, providers, gateway_for):
    viewer = _client(member_of(organization, "viewer"))
    TENANT_SAMPLES[Payment](organization)
    assert viewer.get(f"{API}/payments/").status_code == 200
    assert _start(viewer, gateway_for("yookassa")).status_code == 403


def _paid(api, providers, gateway, key="order-p", amount="100.00") -> Payment:
    response = _start(api, gateway, key=key, amount=amount)
    payment = Payment.objects.get(pk=response.json()["id"])
    providers.yookassa.pay(payment.provider_payment_id)
    payment_sync(payment=payment)
    payment.refresh_from_db()
    return payment


def test_a_payment_is_refunded_in_part_then_in_full_and_never_beyond(api, providers, gateway_for):
    payment = _paid(api, providers, gateway_for("yookassa"))
    url = f"{API}/payments/{payment.pk}/refunds/"

    part = api.post(url, {"amount": "40.00", "reason": "damaged"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert part.status_code == 201, part.json()
    assert (part.json()["amount"], part.json()["status"]) == ("40.00", "succeeded")
    assert api.post(url, {"amount": "40.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1").status_code == 200

    with assert_nothing_written("billing"):
        over = api.post(url, {"amount": "60.01"}, format="json", HTTP_IDEMPOTENCY_KEY="r-2")
    assert over.status_code == 400
    assert over.json()["error"]["code"] == "validation_error"
    assert "amount" in over.json()["error"]["fields"]

    rest = api.post(f"{API}/refunds/", {"payment": payment.pk}, format="json", HTTP_IDEMPOTENCY_KEY="r-3")
    assert rest.status_code == 201, rest.json()
    assert rest.json()["amount"] == "60.00"
    listed = api.get(url).json()
    assert sorted(r["amount"] for r in listed) == ["40.00", "60.00"]
    assert api.get(f"{API}/refunds/", {"payment": payment.pk}).json()["count"] == 2


def test_payments_are_filtered_by_status_and_provider(api, providers, gateway_for):
    gateway = gateway_for("yookassa")
    paid = _paid(api, providers, gateway)
    _start(api, gateway, key="pending-1")
    statuses = api.get(f"{API}/payments/", {"status": "succeeded"}).json()
    assert [row["id"] for row in statuses["results"]] == [paid.pk]
    assert api.get(f"{API}/payments/", {"provider": "stripe"}).json()["count"] == 0
    assert api.get(f"{API}/payments/", {"provider": "yookassa"}).json()["count"] == 2


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured)


# The lists: the user and memberships (token check), the count, and one page with its joins — the same for
# one row or many.
def test_the_lists_run_the_same_queries_for_one_row_and_for_a_page(api, organization):
    api.get(f"{API}/payments/")  # warm: the token's check is cached
    TENANT_SAMPLES[Refund](organization)
    one_payment = _queries(lambda: api.get(f"{API}/payments/"))
    one_refund = _queries(lambda: api.get(f"{API}/refunds/"))
    for _ in range(6):
        TENANT_SAMPLES[Refund](organization)
    assert _queries(lambda: api.get(f"{API}/payments/")) == one_payment
    assert _queries(lambda: api.get(f"{API}/refunds/")) == one_refund
    assert one_payment <= 5


def test_another_organization_s_payment_is_not_found(api, other_organization):
    theirs = TENANT_SAMPLES[Payment](other_organization)
    assert api.get(f"{API}/payments/{theirs.pk}/").status_code == 404
    assert api.get(f"{API}/payments/{theirs.pk}/refunds/").status_code == 404
    with assert_nothing_written("billing"):
        refused = api.post(f"{API}/refunds/", {"payment": theirs.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert refused.status_code == 400
    assert api.get(f"{API}/payments/").json()["count"] == 0


def test_the_plans_are_public(db):
    plans_ensure_defaults()
    response = APIClient().get(f"{API}/plans/")
    assert response.status_code == 200
    codes = [plan["code"] for plan in response.json()]
    assert "start" in codes
    start = next(plan for plan in response.json() if plan["code"] == "start")
    assert {"currency": "RUB", "period": "month"}.items() <= start["prices"][0].items() or start["prices"]
    assert "seats" in start["limits"]


def test_another_organization_s_subscription_cannot_be_canceled(api, other_organization):
    theirs = TENANT_SAMPLES[Subscription](other_organization)
    assert api.post(f"{API}/subscriptions/{theirs.pk}/cancel/").status_code == 404
    assert api.get(f"{API}/usage/", {"organization": other_organization.slug}).json() == []


def test_the_subscription_is_read_canceled_at_period_end_and_resumed(api, organization):
    plan = next(p for p in plans_ensure_defaults() if p.code == "start")
    now = timezone.now()
    subscription = Subscription.objects.create(
        organization=organization, plan=plan, price=plan.prices.get(currency_id="RUB", period="month"),
        status="active", current_period_start=now - dt.timedelta(days=3),
        current_period_end=now + dt.timedelta(days=27),
    )  # fmt: skip
    read = api.get(f"{API}/subscriptions/", {"current": "true", "organization": organization.slug})
    assert read.status_code == 200, read.json()
    [current] = read.json()["results"]
    assert (current["id"], current["plan"], current["status"]) == (subscription.pk, "start", "active")
    assert current["price"] == {"currency": "RUB", "period": "month", "amount": current["price"]["amount"]}

    canceled = api.post(f"{API}/subscriptions/{subscription.pk}/cancel/")
    assert canceled.status_code == 200
    assert canceled.json()["cancel_at_period_end"] is True
    resumed = api.post(f"{API}/subscriptions/{subscription.pk}/resume/")
    assert resumed.json()["cancel_at_period_end"] is False


def test_a_viewer_may_not_cancel_the_subscription(organization, member_of):
    plan = next(p for p in plans_ensure_defaults() if p.code == "start")
    now = timezone.now()
    subscription = Subscription.objects.create(
        organization=organization, plan=plan, price=plan.prices.get(currency_id="RUB", period="month"),
        status="active", current_period_start=now, current_period_end=now + dt.timedelta(days=30),
    )  # fmt: skip
    viewer = _client(member_of(organization, "viewer"))
    assert viewer.post(f"{API}/subscriptions/{subscription.pk}/cancel/").status_code == 403
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end is False


def test_usage_and_limits(api, organization):
    plans_ensure_defaults()
    response = api.get(f"{API}/usage/")
    assert response.status_code == 200
    [body] = response.json()
    assert body["organization"] == organization.slug
    resources = {line["resource"]: line for line in body["usage"]}
    assert "seats" in resources
    assert resources["seats"]["used"] == 0


def test_money_leaves_with_the_currency_s_decimals(api, organization):
    TENANT_SAMPLES[Payment](organization)
    row = api.get(f"{API}/payments/").json()["results"][0]
    assert (row["amount"], row["fee"], row["net"]) == ("1500.00", "52.50", "1447.50")
    assert Decimal(row["captured_amount"]) == Decimal("1500")
