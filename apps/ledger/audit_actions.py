"""The labels of the ledger's audit actions (``apps.core.mechanisms.audit``): how the admin and the API name them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.core.mechanisms.audit import register_action_labels

LABELS = {
    "ledger.account.create": _("Account created"),
    "ledger.account.update": _("Account changed"),
    "ledger.account.delete": _("Account deleted"),
    "ledger.project.create": _("Project created"),
    "ledger.project.update": _("Project changed"),
    "ledger.project.delete": _("Project deleted"),
    "ledger.category.create": _("Category created"),
    "ledger.category.update": _("Category changed"),
    "ledger.category.delete": _("Category deleted"),
    "ledger.counterparty.create": _("Counterparty created"),
    "ledger.counterparty.update": _("Counterparty changed"),
    "ledger.counterparty.delete": _("Counterparty deleted"),
    "ledger.transaction.post": _("Transaction posted"),
    "ledger.transaction.reverse": _("Transaction reversed"),
    "ledger.period.lock": _("Books closed through a date"),
    "ledger.crypto.register": _("Crypto transfer registered"),
    "ledger.crypto.delete": _("Crypto transfer deleted"),
    "ledger.crypto.pending": _("Crypto transfer awaits confirmation"),
    "ledger.crypto.confirmed": _("Crypto transfer confirmed"),
    "ledger.crypto.failed": _("Crypto transfer failed"),
    "ledger.invoice.create": _("Invoice created"),
    "ledger.invoice.update": _("Invoice changed"),
    "ledger.invoice.delete": _("Invoice deleted"),
    "ledger.invoice.issue": _("Invoice issued"),
    "ledger.invoice.pay": _("Invoice payment recorded"),
    "ledger.invoice.payment_reverse": _("Invoice payment reversed"),
    "ledger.invoice.void": _("Invoice voided"),
    "ledger.recurring.create": _("Recurring payment created"),
    "ledger.recurring.update": _("Recurring payment changed"),
    "ledger.recurring.delete": _("Recurring payment deleted"),
    "ledger.recurring.pause": _("Recurring payment paused"),
    "ledger.recurring.resume": _("Recurring payment resumed"),
    "ledger.recurring.post": _("Recurring payment posted"),
    "ledger.recurring.refused": _("Recurring payment refused"),
    "ledger.recurring.skip_closed_period": _("Recurring payment skipped: the period is closed"),
}


def register_ledger_action_labels() -> None:
    register_action_labels(LABELS)
