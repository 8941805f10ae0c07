"""What a payment pays for, asked generically: is its purpose still there and still wanted?

A payment names its purpose by reference (``purpose_type`` such as ``ledger.invoice``, ``purpose_id``). Billing
cannot import the apps above it (marketplace orders, agents' bookings), so each app that makes payments for
its own objects registers a check for its purpose type (in its AppConfig.ready)::

    purpose_check_register("marketplace.order", orders_gone)

A check takes a list of ids and returns ``{id: reason}`` for those that no longer want the money (deleted,
cancelled, voided); the reason is a lazy translatable string, stored in the organization's language. The
sweeper flags paid payments for those purposes for refund. Purpose types nobody registered are left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils.translation import gettext_lazy as _

PurposeCheck = Callable[[list[str]], dict[str, str]]

_checks: dict[str, PurposeCheck] = {}


def purpose_check_register(purpose_type: str, check: PurposeCheck) -> None:
    """Register (or replace) the check of ``purpose_type`` (``app_label.model``)."""
    _checks[purpose_type] = check


def purpose_types() -> list[str]:
    return sorted(_checks)


def purposes_gone(purpose_type: str, ids: Iterable[str]) -> dict[str, str]:
    """``{id: reason}`` for the purposes of ``purpose_type`` among ``ids`` that no longer want their payment."""
    check = _checks.get(purpose_type)
    ids = sorted({str(value) for value in ids if value})
    if check is None or not ids:
        return {}
    return check(ids)


# --- billing's own and the ledger's purposes (apps below billing; higher apps register theirs) ----------------


def _numeric(ids: list[str]) -> list[int]:
    return [int(value) for value in ids if value.isdigit()]


def _invoices_gone(ids: list[str]) -> dict[str, str]:
    from apps.ledger.models import Invoice, InvoiceStatus

    found = dict(Invoice.objects.filter(pk__in=_numeric(ids)).values_list("pk", "status"))
    gone = {}
    for value in ids:
        status = found.get(int(value)) if value.isdigit() else None
        if status is None:
            gone[value] = _("The invoice it paid no longer exists.")
        elif status == InvoiceStatus.VOID:
            gone[value] = _("The invoice it paid was voided.")
    return gone


def _subscriptions_gone(ids: list[str]) -> dict[str, str]:
    from apps.billing.models import Subscription

    found = set(Subscription.objects.filter(pk__in=_numeric(ids)).values_list("pk", flat=True))
    return {
        value: _("The subscription it paid no longer exists.")
        for value in ids
        if not value.isdigit() or int(value) not in found
    }


purpose_check_register("ledger.invoice", _invoices_gone)
purpose_check_register("billing.subscription", _subscriptions_gone)
