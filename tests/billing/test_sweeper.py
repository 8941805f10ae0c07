"""The payments sweeper: a payment waiting longer than its window is re-checked with its provider and the answer
applied (booked once); a paid payment whose purpose is gone (its invoice voided) is flagged for a person to
refund, once, and nothing is refunded by itself. The providers are stubbed at their HTTP transport."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.billing.models import Payment, PaymentStatus, Refund
from apps.billing.services import purposes
from apps.billing.services.purposes import purpose_check_register, purposes_gone
from apps.billing.services.sweeper import SYNC_AFTER, payments_sweep
from apps.core.models import AuditLog
from apps.ledger.models import Transaction
from apps.ledger.services.invoices import invoice_void
from tests.billing.payment_helpers import started
from tests.ledger.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def _start(gateway, *, amount="1000.00", **fields):
    return started(gateway, amount=amount, **fields)


def _gets(providers) -> list[str]:
    return [seen.path for seen in providers.yookassa.requests if seen.method == "GET"]


def _later(window=SYNC_AFTER[PaymentStatus.PENDING]):
    return timezone.now() + window + dt.timedelta(minutes=1)


def test_a_stale_pending_payment_is_rechecked_and_its_success_applied_once(providers, gateway_for, organization):
    payment = _start(gateway_for("yookassa"))
    providers.yookassa.pay(payment.provider_payment_id)  # the customer paid; the webhook never came

    summary = payments_sweep(now=_later())

    assert (summary.checked, summary.changed, summary.unreachable) == (1, 1, 0)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Transaction.objects.filter(organization=organization).count() == 1
    # The next run has nothing left to ask about, and books nothing more.
    assert payments_sweep(now=_later()).checked == 0
    assert Transaction.objects.filter(organization=organization).count() == 1


def test_a_payment_within_its_window_is_not_asked_about(providers, gateway_for):
    payment = _start(gateway_for("yookassa"))

    summary = payments_sweep(now=timezone.now() + dt.timedelta(minutes=5))

    assert summary.checked == 0
    assert _gets(providers) == []
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_an_unreachable_provider_leaves_the_payment_for_the_next_run(providers, gateway_for):
    payment = _start(gateway_for("yookassa"))
    providers.yookassa.fail_next(503, {"type": "error", "code": "internal_server_error", "description": "later"})

    summary = payments_sweep(now=_later())

    assert (summary.checked, summary.unreachable) == (1, 1)
    providers.yookassa.pay(payment.provider_payment_id)
    assert payments_sweep(now=_later()).changed == 1


def test_a_paid_payment_for_a_voided_invoice_is_flagged_for_refund_once(providers, gateway_for, organization):
    organization.language = "en"  # the reason is written in the organization's language
    organization.save(update_fields=["language"])
    invoice = InvoiceFactory(organization=organization, issued=True)
    payment = _start(gateway_for("yookassa"), purpose=("ledger.invoice", invoice.pk), amount=str(invoice.total))
    invoice_void(invoice=invoice, user=None, reason="Issued twice")
    providers.yookassa.pay(payment.provider_payment_id)  # the customer paid the old link all the same

    first = payments_sweep(now=_later())
    second = payments_sweep(now=_later())

    assert (first.flagged, second.flagged) == (1, 0)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.refund_flagged_at is not None
    assert payment.refund_flag_reason == "The invoice it paid was voided."
    assert AuditLog.objects.filter(action="billing.payment.refund_flagged").count() == 1
    assert not Refund.objects.exists()  # flagged for a person; nothing refunded


def test_a_payment_whose_purpose_stands_is_not_flagged(providers, gateway_for, organization):
    invoice = InvoiceFactory(organization=organization, issued=True)
    payment = _start(gateway_for("yookassa"), purpose=("ledger.invoice", invoice.pk), amount=str(invoice.total))
    providers.yookassa.pay(payment.provider_payment_id)

    assert payments_sweep(now=_later()).flagged == 0
    payment.refresh_from_db()
    assert payment.refund_flagged_at is None


def test_a_higher_app_registers_the_check_of_its_own_purposes(providers, gateway_for, english, monkeypatch):
    monkeypatch.setattr(purposes, "_checks", dict(purposes._checks))  # the registration ends with the test
    cancelled = {"7"}
    purpose_check_register(
        "marketplace.order", lambda ids: {value: "The order was cancelled." for value in ids if value in cancelled}
    )
    kept = _start(gateway_for("yookassa"), purpose=("marketplace.order", 6), key="order-6")
    dropped = _start(gateway_for("yookassa"), purpose=("marketplace.order", 7), key="order-7")
    for payment in (kept, dropped):
        providers.yookassa.pay(payment.provider_payment_id)

    payments_sweep(now=_later())

    flagged = set(Payment.objects.filter(refund_flagged_at__isnull=False).values_list("pk", flat=True))
    assert flagged == {dropped.pk}
    assert purposes_gone("nobody.registered", ["1"]) == {}


def test_billings_periodic_tasks_are_in_the_database_and_name_real_tasks():
    from celery import current_app
    from django_celery_beat.models import PeriodicTask

    import apps.billing.tasks  # noqa: F401  (registers the tasks, as the worker's autodiscovery does)
    from apps.billing.schedules import TASKS

    for spec in TASKS:
        task = PeriodicTask.objects.select_related("crontab").get(name=spec.name)
        assert (task.task, task.enabled, task.crontab.minute) == (spec.task, True, spec.minute)
        assert spec.task in current_app.tasks
