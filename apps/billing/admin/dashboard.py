"""Billing's panel on the admin home: money taken per day over the last 30 days, the monthly recurring
revenue and the failed payments, over the organizations the member sees."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy

from apps.core.accounts.tenancy import memberships, sees_everything
from apps.core.admin_kit import dashboards
from apps.core.language.formatting import format_date, format_money

from ..selectors import billing_figures


def billing_panel(request) -> dict | None:
    user = request.user
    if not (sees_everything(user) or memberships(user)):
        return None
    figures = billing_figures(user=user)
    return {
        "days": [
            {
                "day": format_date(day),
                "amount": format_money(amount, currency),
            }
            for day, currency, amount in figures.revenue_by_day
        ],
        "totals": [format_money(amount, currency) for currency, amount in sorted(figures.revenue_totals.items())],
        "mrr": [format_money(amount, currency, precision=2) for currency, amount in sorted(figures.mrr.items())],
        "failed": figures.failed_payments,
        "failed_url": reverse("admin:billing_payment_changelist") + "?status__exact=failed",
        "period": figures.days,
    }


dashboards.register(
    dashboards.Dashboard(
        app_label="billing",
        title=gettext_lazy("Payments"),
        template="admin/dashboards/billing.html",
        context=billing_panel,
        order=20,
    )
)
