"""Billing in the admin: every page opens for an owner in Russian and English, credentials are entered but
never shown again in full, refunds, capture, cancel and sync go through the services, and another
organization's payment is not found."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from apps.billing.models import GatewayAccount, Payment, PaymentStatus, Refund, RefundStatus, Subscription
from apps.billing.services.payments import payment_start, payment_sync
from apps.core.language.nouns import Noun
from apps.core.models import AuditLog
from tests.core.factories import UserFactory
from tests.helpers import assert_nothing_written
from tests.ledger.test_admin_russian_pages import DOT_DECIMAL, ISO_DATE, english_words, visible_text
from tests.tenancy_samples import TENANT_SAMPLES

pytestmark = pytest.mark.django_db

RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BILLING = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "billing"), key=lambda m: m._meta.label
)
# Raw provider data shown as it came (JSON with the provider's dotted amounts and ISO dates).
RAW_DATA = {"billing.UnmatchedRefund"}
SECRET = "sk_test_51HxVeryPrivateKontoraKey0000000009876"


@pytest.fixture
def owner(client, organization, member_of):
    client.force_login(member_of(organization, "owner", language="ru"))
    return client


@pytest.fixture
def samples(organization):
    for model in BILLING:
        if model in TENANT_SAMPLES:
            TENANT_SAMPLES[model](organization)
    from apps.billing.services.plans import plans_ensure_defaults

    plans_ensure_defaults()


def _pages(model) -> list[str]:
    prefix = f"admin:billing_{model._meta.model_name}"
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"no sample row of {model._meta.label}"
    return [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_change", args=[obj.pk])]


def _wrong_forms(model) -> list[str]:
    from django.utils import translation

    with translation.override("ru"):
        noun = Noun.of(model)
        wrong = [f"По {noun.nominative}"]
        if noun.accusative != noun.nominative:
            wrong += [f"Выберите {noun.nominative} ", f"Добавить {noun.nominative}"]
        return wrong


@pytest.mark.parametrize("model", BILLING, ids=[m._meta.label for m in BILLING])
def test_every_billing_admin_page_opens_in_russian_and_english(model, owner, samples):
    for page in _pages(model):
        english_page = owner.get(page, **EN)
        assert english_page.status_code == 200, page
        response = owner.get(page, **RU)
        assert response.status_code == 200, page
        text = visible_text(response.content.decode())
        assert english_words(text) == [], f"{page}: {english_words(text)} in {text[:3000]}"
        for wrong in _wrong_forms(model):
            assert not re.search(re.escape(wrong) + r"(?!\w)", text), f"{page}: {wrong!r}"
        if model._meta.label not in RAW_DATA:
            assert ISO_DATE.findall(text) == [], f"{page}: ISO dates"
            assert DOT_DECIMAL.findall(text) == [], f"{page}: amounts written with a dot"


def test_billing_s_own_pages_open_in_russian(owner, samples, organization):
    payment = Payment.objects.filter(organization=organization).first()
    subscription = Subscription.objects.filter(organization=organization).first()
    for page in [
        reverse("admin:billing_payment_refund", args=[payment.pk]),
        reverse("admin:billing_gatewayaccount_add"),
        reverse("admin:index"),
    ]:
        response = owner.get(page, **RU)
        assert response.status_code == 200, page
        text = visible_text(response.content.decode())
        assert english_words(text) == [], f"{page}: {english_words(text)}"
    assert subscription is not None


# --- gateways: credentials go in, never come out ---------------------------------------------------------


def test_a_gateway_is_created_through_the_service_and_its_secret_is_only_ever_shown_masked(owner, organization):
    response = owner.post(
        reverse("admin:billing_gatewayaccount_add"),
        {
            "organization": organization.pk,
            "provider": "stripe",
            "name": "Shop",
            "mode": "test",
            "is_active": "on",
            "cred_stripe_secret_key": SECRET,
            "webhook_secret_input": "whsec_VeryPrivateSigningSecret123456",
        },
        **EN,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    gateway = GatewayAccount.objects.get(organization=organization)
    assert gateway.credentials == {"secret_key": SECRET}
    assert AuditLog.objects.filter(action="billing.gateway.save", object_id=str(gateway.pk)).exists()

    pages = [
        reverse("admin:billing_gatewayaccount_changelist"),
        reverse("admin:billing_gatewayaccount_change", args=[gateway.pk]),
        reverse("admin:billing_gatewayaccount_history", args=[gateway.pk]),
        reverse("admin:index"),
    ]
    for page in pages:
        html = owner.get(page, **EN).content.decode()
        assert "VeryPrivate" not in html, page  # neither the key nor the webhook secret
    change = owner.get(pages[1], **EN).content.decode()
    assert "sk_t…9876" in change
    assert f"/billing/webhooks/stripe/{gateway.endpoint}/" in change
    audit = AuditLog.objects.filter(object_id=str(gateway.pk)).values_list("changes", flat=True)
    assert all("VeryPrivate" not in str(changes) for changes in audit)


def test_an_empty_credential_field_keeps_the_stored_one(owner, organization, gateway_for):
    gateway = gateway_for("yookassa")
    stored = dict(gateway.credentials)
    response = owner.post(
        reverse("admin:billing_gatewayaccount_change", args=[gateway.pk]),
        {
            "name": "Renamed",
            "mode": "live",
            "is_active": "on",
            "cred_yookassa_shop_id": "",
            "cred_yookassa_secret_key": "",
        },
        **EN,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    gateway.refresh_from_db()
    assert (gateway.name, gateway.mode, gateway.credentials) == ("Renamed", "live", stored)


def test_a_new_gateway_without_its_credentials_is_refused_next_to_the_field(owner, organization):
    with assert_nothing_written("billing"):
        response = owner.post(
            reverse("admin:billing_gatewayaccount_add"),
            {"organization": organization.pk, "provider": "tbank", "name": "T", "mode": "test"},
            **EN,
        )
    assert response.status_code == 200
    assert "This credential is required." in response.content.decode()


# --- payments: refund, capture, cancel, sync ---------------------------------------------------------------


def _paid(providers, gateway, amount="100.00", two_stage=False) -> Payment:
    payment = payment_start(
        gateway=gateway, amount=amount, currency="RUB", purpose=None, description="Order",
        idempotency_key=f"order-{amount}-{two_stage}", return_url="https://shop.example.com/", two_stage=two_stage,
    )  # fmt: skip
    getattr(providers, gateway.provider).pay(payment.provider_payment_id)
    payment_sync(payment=payment)
    payment.refresh_from_db()
    return payment


def test_the_refund_page_offers_what_is_left_and_refunds_it(owner, providers, gateway_for):
    payment = _paid(providers, gateway_for("yookassa"))
    url = reverse("admin:billing_payment_refund", args=[payment.pk])
    page = owner.get(url, **EN)
    assert page.status_code == 200
    assert page.context["form"].initial["amount"] == Decimal("100.00")

    response = owner.post(url, {"amount": "40.00", "reason": "damaged", "idempotency_key": "page-1"}, **EN)
    assert response.status_code == 302
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.status, refund.reason) == (Decimal("40"), RefundStatus.SUCCEEDED, "damaged")
    # The same page submitted twice asks for the same refund.
    owner.post(url, {"amount": "40.00", "reason": "damaged", "idempotency_key": "page-1"}, **EN)
    assert Refund.objects.filter(payment=payment).count() == 1
    assert owner.get(url, **EN).context["form"].initial["amount"] == Decimal("60.00")


def test_a_refund_over_what_is_left_is_refused_with_a_message(owner, providers, gateway_for):
    payment = _paid(providers, gateway_for("yookassa"))
    url = reverse("admin:billing_payment_refund", args=[payment.pk])
    with assert_nothing_written("billing"):
        response = owner.post(url, {"amount": "100.01", "reason": "", "idempotency_key": "page-2"}, **EN)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]  # the service's refusal is shown
    assert not Refund.objects.filter(payment=payment).exists()
    assert len(providers.yookassa.refunds) == 0


def test_a_held_payment_is_captured_or_released_from_its_page(owner, providers, gateway_for):
    gateway = gateway_for("yookassa")
    held = _paid(providers, gateway, amount="70.00", two_stage=True)
    assert held.status == PaymentStatus.WAITING_FOR_CAPTURE
    change = owner.get(reverse("admin:billing_payment_change", args=[held.pk]), **EN).content.decode()
    assert reverse("admin:billing_payment_capture", args=[held.pk]) in change

    assert owner.post(reverse("admin:billing_payment_capture", args=[held.pk])).status_code == 302
    held.refresh_from_db()
    assert held.status == PaymentStatus.SUCCEEDED

    other = _paid(providers, gateway, amount="30.00", two_stage=True)
    owner.post(reverse("admin:billing_payment_cancel", args=[other.pk]))
    other.refresh_from_db()
    assert other.status == PaymentStatus.CANCELED


def test_sync_asks_the_provider_and_applies_its_word(owner, providers, gateway_for):
    gateway = gateway_for("yookassa")
    payment = payment_start(
        gateway=gateway, amount="10.00", currency="RUB", purpose=None, description="x", idempotency_key="s-1",
        return_url="https://shop.example.com/",
    )  # fmt: skip
    providers.yookassa.pay(payment.provider_payment_id)
    assert owner.get(reverse("admin:billing_payment_sync", args=[payment.pk])).status_code == 405
    owner.post(reverse("admin:billing_payment_sync", args=[payment.pk]))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_a_viewer_sees_a_payment_but_may_not_refund_it(client, organization, member_of, samples):
    client.force_login(member_of(organization, "viewer"))
    payment = Payment.objects.filter(organization=organization).first()
    assert client.get(reverse("admin:billing_payment_change", args=[payment.pk])).status_code == 200
    assert client.get(reverse("admin:billing_payment_refund", args=[payment.pk])).status_code == 403


def test_another_organization_s_payment_is_not_found(owner, other_organization):
    theirs = TENANT_SAMPLES[Payment](other_organization)
    for name in ("change", "refund"):
        assert owner.get(reverse(f"admin:billing_payment_{name}", args=[theirs.pk])).status_code == 404
    for name in ("capture", "cancel", "sync"):
        assert owner.post(reverse(f"admin:billing_payment_{name}", args=[theirs.pk])).status_code == 404


# --- subscriptions -----------------------------------------------------------------------------------------


def test_a_subscription_is_canceled_at_its_period_end_and_resumed_through_the_services(owner, organization):
    import datetime as dt

    from django.utils import timezone

    from apps.billing.services.plans import plans_ensure_defaults

    plan = next(p for p in plans_ensure_defaults() if p.code == "start")
    now = timezone.now()
    subscription = Subscription.objects.create(
        organization=organization, plan=plan, price=plan.prices.get(currency_id="RUB", period="month"),
        status="active", current_period_start=now - dt.timedelta(days=3),
        current_period_end=now + dt.timedelta(days=27),
    )  # fmt: skip
    owner.post(reverse("admin:billing_subscription_cancel", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end
    assert subscription.status == "active"
    owner.post(reverse("admin:billing_subscription_resume", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert not subscription.cancel_at_period_end
    assert AuditLog.objects.filter(action="billing.subscription.resume").exists()


# --- the panel on the admin home ---------------------------------------------------------------------------


def test_the_home_page_shows_money_taken_and_failed_payments(owner, organization, samples):
    html = owner.get(reverse("admin:index"), **EN).content.decode()
    assert 'id="dashboard-billing"' in html
    panel = html.split('id="dashboard-billing"')[1].split("kontora-dashboard")[0]
    succeeded = sum(p.captured_amount for p in Payment.objects.filter(organization=organization, status="succeeded"))
    assert succeeded > 0
    digits = re.sub(r"[\s\u00a0\u202f,.]", "", panel)
    assert f"{int(succeeded * 100)}RUB" in digits  # the money taken in the last 30 days
    assert "data-billing-failed>0<" in panel
    superuser = UserFactory(is_superuser=True, is_staff=True)
    owner.force_login(superuser)
    assert owner.get(reverse("admin:index"), **EN).status_code == 200
