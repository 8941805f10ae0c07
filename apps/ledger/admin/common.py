"""What the ledger's admin modules share: forms whose save is a service call (and the services' refusals shown
next to the fields they name), inline rows handed to a service in one call, the report links.
"""

from __future__ import annotations

import contextlib
import re

from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import organization_ids
from apps.core.admin_kit.base import KontoraTabularInline

LEDGER_WRITE = write_power("ledger")


def report_links() -> list[tuple[str, str]]:
    """Links to the books' report pages: the reports' own pages where they exist (``admin/reports.py``
    registers them), else the changelists that answer the same questions."""
    candidates = [
        (gettext_lazy("Trial balance"), ["admin:ledger_report_trial_balance"]),
        (gettext_lazy("Profit and loss"), ["admin:ledger_report_profit_and_loss"]),
        (gettext_lazy("Balance sheet"), ["admin:ledger_report_balance_sheet"]),
        (gettext_lazy("Cash flow"), ["admin:ledger_report_cash_flow"]),
        (gettext_lazy("Account statement"), ["admin:ledger_report_account_statement"]),
        (gettext_lazy("All reports"), ["admin:ledger_reports"]),
    ]
    links = []
    for label, names in candidates:
        for name in names:
            try:
                links.append((str(label), reverse(name)))
                break
            except NoReverseMatch:
                continue
    if not links:
        links = [
            (_("Chart of accounts and balances"), reverse("admin:ledger_account_changelist")),
            (_("Journal"), reverse("admin:ledger_transaction_changelist")),
        ]
    with contextlib.suppress(NoReverseMatch):
        links.append((_("Books dashboard"), reverse("ledger:dashboard")))
    return links


def several_organizations(user) -> bool:
    ids = organization_ids(user)
    return ids is None or len(ids) > 1


ITEM_FIELD = re.compile(r"^(?:lines|legs)\.(\d+)\.(\w+)$")


def reason_of(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, PermissionDenied):
        return str(error)
    if hasattr(error, "error_dict"):
        return " ".join(message for messages_ in error.message_dict.values() for message in messages_)
    return " ".join(error.messages)


def spread_errors(error: ValidationError, forms_: list, fallback) -> None:
    """Put the errors a service names ``lines.<i>.<field>`` on the inline row and field they belong to."""
    for name, found in error.message_dict.items():
        match = ITEM_FIELD.match(name)
        if match and int(match.group(1)) < len(forms_):
            form = forms_[int(match.group(1))]
            field = match.group(2) if match.group(2) in form.fields else None
            for message in found:
                form.add_error(field, message)
        else:
            for message in found:
                fallback(message)


class CompactInline(KontoraTabularInline):
    """Tabular rows without the add / change / delete / view icons beside each choice: four icons on each of
    three choices made an invoice's lines 1,800 pixels wide. The chart and the tags have their own pages."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            field.widget = field.widget.widget
        return field
