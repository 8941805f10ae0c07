"""One sample row per tenant model, for the generic tenancy tests (tests/core/test_api_tenancy.py).

``TENANT_SAMPLES`` maps a model to a function that creates one row of it belonging to the given
organization and returns it. Every model served by an API viewset that belongs to an organization must be
here: the tenancy test fails for a viewset whose model has no sample, so a new app adds its models with
its first endpoint, e.g.::

    from apps.ledger.models import Account
    TENANT_SAMPLES[Account] = lambda organization: AccountFactory(organization=organization)

A sample function may create whatever else its row needs, always inside the same organization.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.core.mechanisms.audit import audit_record
from apps.core.models import ApiKey, AuditLog, Membership, Organization, User
from tests.core.factories import MembershipFactory


def _organization(organization: Organization) -> Organization:
    return organization


def _membership(organization: Organization) -> Membership:
    return MembershipFactory(organization=organization, role=Role.BOOKKEEPER)


def _user(organization: Organization) -> User:
    return _membership(organization).user


def _audit_record(organization: Organization) -> AuditLog:
    return audit_record(action="sample.create", organization=organization, obj=organization)


def _api_key(organization: Organization) -> ApiKey:
    api_key, _plain = tokens.api_key_create(
        organization=organization, name="Sample key", scopes=["read"], role=Role.VIEWER, by=None
    )
    return api_key


TENANT_SAMPLES: dict[type[models.Model], Callable[[Organization], models.Model]] = {
    Organization: _organization,
    Membership: _membership,
    User: _user,
    AuditLog: _audit_record,
    ApiKey: _api_key,
}


# --- exchange rates (apps.core.money.fx) ------------------------------------------------------------------------

from datetime import date as _date  # noqa: E402
from decimal import Decimal as _Decimal  # noqa: E402

from apps.core.models import FxRate  # noqa: E402


def _fx_rate(organization: Organization) -> FxRate:
    """An own rate of the organization, entered by hand (public rates belong to no one and are shared)."""
    return FxRate.objects.create(
        organization=organization, date=_date(2026, 1, 15), base_id="USD", quote_id="RUB", rate=_Decimal("77.7")
    )


TENANT_SAMPLES[FxRate] = _fx_rate


# --- ledger: books (accounts, tags, transactions, the closed period) --------------------------------------


def _ledger_account(organization: Organization):
    from tests.ledger.factories import AccountFactory

    return AccountFactory(organization=organization)


def _ledger_balance(organization: Organization):
    from apps.ledger.models import AccountBalance

    return AccountBalance.objects.get(account=_ledger_account(organization))


def _ledger_project(organization: Organization):
    from tests.ledger.factories import ProjectFactory

    return ProjectFactory(organization=organization)


def _ledger_category(organization: Organization):
    from tests.ledger.factories import CategoryFactory

    return CategoryFactory(organization=organization)


def _ledger_counterparty(organization: Organization):
    from tests.ledger.factories import CounterpartyFactory

    return CounterpartyFactory(organization=organization)


def _ledger_transaction(organization: Organization):
    import uuid
    from datetime import date

    from apps.ledger import services
    from apps.ledger.models import AccountType
    from tests.ledger.factories import AccountFactory

    cash = AccountFactory(organization=organization, type=AccountType.ASSET)
    sales = AccountFactory(organization=organization, type=AccountType.INCOME)
    return services.income_post(
        organization=organization,
        user=None,
        date=date.today(),
        account=cash,
        income_account=sales,
        amount="100.00",
        counterparty=_ledger_counterparty(organization),
        description="Sample income",
        idempotency_key=f"sample-{uuid.uuid4()}",
    )


def _ledger_period_lock(organization: Organization):
    from datetime import date

    from apps.ledger import services

    # Far in the past, so that it refuses none of the other samples' postings.
    return services.period_lock(organization=organization, user=None, locked_through=date(2000, 1, 31))


def _register_ledger_samples() -> None:
    from apps.ledger.models import Account, AccountBalance, Category, Counterparty, PeriodLock, Project, Transaction

    TENANT_SAMPLES.update(
        {
            Account: _ledger_account,
            AccountBalance: _ledger_balance,
            Project: _ledger_project,
            Category: _ledger_category,
            Counterparty: _ledger_counterparty,
            Transaction: _ledger_transaction,
            PeriodLock: _ledger_period_lock,
        }
    )


_register_ledger_samples()


# --- ledger: invoices and recurring payments --------------------------------------------------------------


def _ledger_invoice(organization: Organization):
    from tests.ledger.factories import InvoiceFactory

    return InvoiceFactory(organization=organization, issued=True)


def _ledger_invoice_payment(organization: Organization):
    import uuid
    from datetime import timedelta

    from apps.ledger.services import invoice_payment_record
    from tests.ledger.factories import AccountFactory

    invoice = _ledger_invoice(organization)
    return invoice_payment_record(
        invoice=invoice,
        user=None,
        amount="10.00",
        date=invoice.issue_date + timedelta(days=1),
        account=AccountFactory(organization=organization),
        idempotency_key=f"sample-{uuid.uuid4()}",
    )


def _ledger_recurring_payment(organization: Organization):
    from tests.ledger.factories import RecurringPaymentFactory

    return RecurringPaymentFactory(organization=organization)


def _register_invoice_samples() -> None:
    from apps.ledger.models import Invoice, InvoicePayment, RecurringPayment

    TENANT_SAMPLES.update(
        {
            Invoice: _ledger_invoice,
            InvoicePayment: _ledger_invoice_payment,
            RecurringPayment: _ledger_recurring_payment,
        }
    )


_register_invoice_samples()


# --- ledger: crypto transfers (apps.ledger.services.crypto) -----------------------------------------------


def _ledger_crypto_transfer(organization: Organization):
    import hashlib
    import uuid

    from apps.ledger.models import AccountType
    from apps.ledger.services import crypto_transfer_register
    from tests.ledger.factories import AccountFactory

    wallet = AccountFactory(organization=organization, type=AccountType.ASSET, currency_id="USDT")
    customers = AccountFactory(organization=organization, type=AccountType.ASSET, currency_id="USDT")
    detail, _created = crypto_transfer_register(
        organization=organization,
        user=None,
        token="USDT",
        direction="in",
        tx_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        from_address="TSdbCHE6EV7cMSNWcd3EqoikLoTePTjbSL",
        to_address="TUCN7kXqj1hadrutSgM23JJ9J8jUu7Kfgt",
        amount="480.5",
        account=wallet,
        counter_account=customers,
    )
    return detail


def _register_crypto_samples() -> None:
    from apps.ledger.models import CryptoTransactionDetail

    TENANT_SAMPLES[CryptoTransactionDetail] = _ledger_crypto_transfer


_register_crypto_samples()


# --- billing: subscriptions and usage (apps.billing.models.plans) ------------------------------------------------

from apps.billing.models import Subscription, SubscriptionEvent, UsageCounter, UsageRecord, UsageThreshold  # noqa: E402
from apps.billing.services.plans import plans_ensure_defaults  # noqa: E402


def _billing_subscription(organization: Organization) -> Subscription:
    plan = next(plan for plan in plans_ensure_defaults() if plan.code == "start")
    return Subscription.objects.create(
        organization=organization,
        plan=plan,
        price=plan.prices.get(currency_id="RUB", period="month"),
        status="incomplete",
    )


def _billing_subscription_event(organization: Organization) -> SubscriptionEvent:
    subscription = _billing_subscription(organization)
    return SubscriptionEvent.objects.create(
        organization=organization, subscription=subscription, key=f"sample:{subscription.pk}", kind="activate"
    )


def _billing_usage_counter(organization: Organization) -> UsageCounter:
    return UsageCounter.objects.create(organization=organization, resource="seats", used=1)


def _billing_usage_record(organization: Organization) -> UsageRecord:
    return UsageRecord.objects.create(
        organization=organization, resource="seats", amount=1, key=f"sample:{organization.pk}", kind="reserve"
    )


def _billing_usage_threshold(organization: Organization) -> UsageThreshold:
    return UsageThreshold.objects.create(
        organization=organization, resource="messages", period=_date(2026, 3, 1), percent=80, used=800, limit=1000
    )


TENANT_SAMPLES[Subscription] = _billing_subscription
TENANT_SAMPLES[SubscriptionEvent] = _billing_subscription_event
TENANT_SAMPLES[UsageCounter] = _billing_usage_counter
TENANT_SAMPLES[UsageRecord] = _billing_usage_record
TENANT_SAMPLES[UsageThreshold] = _billing_usage_threshold


# --- the webhook inbox (apps.core.mechanisms.webhooks) -----------------------------------------------------


def _webhook_delivery(organization: Organization):
    """A handled delivery of the organization, as the inbox leaves it (no source needs to be registered)."""
    import uuid

    from apps.core.models import WebhookDelivery

    return WebhookDelivery.objects.create(
        source="samples.hooks",
        endpoint="sample",
        organization=organization,
        method="POST",
        headers={"Content-Type": "application/json"},
        body=b'{"id": "evt_sample"}',
        body_size=20,
        status=WebhookDelivery.Status.PROCESSED,
        event_id=f"evt_{uuid.uuid4().hex}",
        event_type="sample.created",
        attempts=1,
    )


from apps.core.models import WebhookDelivery as _WebhookDelivery  # noqa: E402

TENANT_SAMPLES[_WebhookDelivery] = _webhook_delivery

# --- domain events and notifications (apps.core.mechanisms.events, .notifications) ----------------------------

from django.db import transaction as _transaction  # noqa: E402

from apps.core.mechanisms import events as _events  # noqa: E402
from apps.core.mechanisms import notifications as _notifications  # noqa: E402
from apps.core.mechanisms.idempotency import product_key as _product_key  # noqa: E402
from apps.core.models import DomainEvent, DomainEventDelivery, Notification  # noqa: E402


def _domain_event(organization: Organization) -> DomainEvent:
    with _transaction.atomic():
        return _events.emit(
            "samples.something_happened",
            organization=organization,
            payload={"sample": organization.pk},
            aggregate=f"samples.thing:{organization.pk}",
        )


def _domain_event_delivery(organization: Organization) -> DomainEventDelivery:
    return DomainEventDelivery.objects.create(event=_domain_event(organization), subscription="samples.subscriber")


def _notification(organization: Organization) -> Notification:
    with _transaction.atomic():
        return _notifications.notify(
            recipient=f"sample-{organization.pk}@example.com",
            template="test_message",
            context={},
            key=_product_key("samples", "notification", organization.pk),
            organization=organization,
        )


TENANT_SAMPLES[DomainEvent] = _domain_event
TENANT_SAMPLES[DomainEventDelivery] = _domain_event_delivery
TENANT_SAMPLES[Notification] = _notification


# --- billing: gateways, payments and refunds (apps.billing.models.gateways, .payments) -------------------------

from apps.billing.models import GatewayAccount, Payment, Refund, UnmatchedRefund  # noqa: E402


def _billing_gateway(organization: Organization) -> GatewayAccount:
    return GatewayAccount.objects.create(
        organization=organization,
        provider="yookassa",
        name="Sample shop",
        credentials={"shop_id": "506751", "secret_key": "test_SampleSecretKey0000000000000000"},
    )


def _billing_payment(organization: Organization) -> Payment:
    """A succeeded payment (as the provider's word leaves it), so that a refund of it can be sampled too."""
    import uuid

    from django.utils import timezone

    return Payment.objects.create(
        organization=organization,
        gateway=_billing_gateway(organization),
        amount=_Decimal("1500.00"),
        currency_id="RUB",
        status="succeeded",
        captured_amount=_Decimal("1500.00"),
        fee=_Decimal("52.50"),
        net=_Decimal("1447.50"),
        provider_payment_id=f"2f{uuid.uuid4().hex[:6]}-000f-5000-8000-1b68e7b15f3f",
        idempotency_key=f"sample-{uuid.uuid4().hex}",
        provider_key=uuid.uuid4().hex[:32],
        description="Sample order",
        succeeded_at=timezone.now(),
    )


def _billing_refund(organization: Organization) -> Refund:
    import uuid

    payment = _billing_payment(organization)
    return Refund.objects.create(
        organization=organization,
        payment=payment,
        amount=_Decimal("500.00"),
        status="succeeded",
        provider_refund_id=f"rf{uuid.uuid4().hex[:10]}",
        idempotency_key=f"sample-{uuid.uuid4().hex}",
        provider_key=uuid.uuid4().hex[:32],
        reason="Sample",
    )


def _billing_unmatched_refund(organization: Organization) -> UnmatchedRefund:
    import uuid

    return UnmatchedRefund.objects.create(
        organization=organization,
        gateway=_billing_gateway(organization),
        provider_refund_id=f"rf{uuid.uuid4().hex[:10]}",
        provider_payment_id="2f000000-000f-5000-8000-1b68e7b15f3f",
        state={"status": "succeeded", "amount": "10.00"},
    )


TENANT_SAMPLES[GatewayAccount] = _billing_gateway
TENANT_SAMPLES[Payment] = _billing_payment
TENANT_SAMPLES[Refund] = _billing_refund
TENANT_SAMPLES[UnmatchedRefund] = _billing_unmatched_refund

# --- traffic analytics: sources, campaigns, imports, facts, conversions, payouts -----------------------------


def _analytics_source(organization: Organization):
    from tests.analytics.factories import TrafficSourceFactory

    return TrafficSourceFactory(organization=organization)


def _analytics_program(organization: Organization):
    from tests.analytics.factories import AffiliateProgramFactory

    return AffiliateProgramFactory(organization=organization)


def _analytics_offer(organization: Organization):
    from apps.analytics.models import Offer

    return Offer.objects.create(organization=organization, program=_analytics_program(organization), name="Offer")


def _analytics_import(organization: Organization):
    """An import of a few rows, through the pipeline (its facts and campaigns stay inside the organization)."""
    from apps.analytics.services import import_rows
    from tests.analytics.factories import fact_rows, import_job

    return import_rows(import_job(_analytics_source(organization)), [fact_rows(2)])


def _analytics_campaign(organization: Organization):
    from apps.analytics.models import Campaign

    return Campaign.objects.get(source=_analytics_import(organization).source, external_id="cmp-0")


def _analytics_fact(organization: Organization):
    from apps.analytics.models import MetricFact

    return MetricFact.objects.filter(import_job=_analytics_import(organization)).first()


def _analytics_conversion(organization: Organization):
    import datetime as dt

    from apps.analytics.models import Conversion

    source = _analytics_source(organization)
    return Conversion.objects.create(
        organization=organization,
        source=source,
        transaction_id="tx-sample",
        event="install",
        conversion_time=dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
    )


def _analytics_payout(organization: Organization):
    from apps.analytics.services import payout_create

    return payout_create(
        organization=organization,
        program=_analytics_program(organization),
        period_start=_date(2026, 4, 1),
        period_end=_date(2026, 4, 30),
        amount=_Decimal("100.00"),
        currency="USD",
    )


def _analytics_rollup(organization: Organization):
    from apps.analytics.models import DailyRollup

    job = _analytics_import(organization)  # the import sums its days into the rollup
    return DailyRollup.objects.filter(source_id=job.source_id).first()


def _analytics_postback_endpoint(organization: Organization):
    from apps.analytics.services.postbacks import postback_endpoint_create

    endpoint, _token = postback_endpoint_create(source=_analytics_source(organization))
    return endpoint


def _analytics_import_schedule(organization: Organization):
    from apps.analytics.services.schedules import import_schedule_save

    return import_schedule_save(
        source=_analytics_source(organization), name="Sample drop", kind="folder", settings={"path": "/nonexistent"}
    )


def _register_analytics_samples() -> None:
    from apps.analytics.models import (
        AffiliateProgram,
        Campaign,
        Conversion,
        DailyRollup,
        ImportJob,
        ImportSchedule,
        MetricFact,
        Offer,
        Payout,
        PostbackEndpoint,
        TrafficSource,
    )

    TENANT_SAMPLES.update(
        {
            TrafficSource: _analytics_source,
            AffiliateProgram: _analytics_program,
            Offer: _analytics_offer,
            Campaign: _analytics_campaign,
            ImportJob: _analytics_import,
            MetricFact: _analytics_fact,
            Conversion: _analytics_conversion,
            Payout: _analytics_payout,
            DailyRollup: _analytics_rollup,
            PostbackEndpoint: _analytics_postback_endpoint,
            ImportSchedule: _analytics_import_schedule,
        }
    )


_register_analytics_samples()
