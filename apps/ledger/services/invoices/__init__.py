"""Invoices: drafts, issuing (a gap-free number and the receivable or payable posting), payments allocated to
them, voiding, and the overdue sweep.

Every posting carries an idempotency key: ``invoice:<id>:issue`` for the issue, ``invoice-payment:<id>:<key>``
for a payment (``key`` chosen by the caller, one per submission, so a double click pays once), and
``reversal:<transaction id>`` for voids and payment reversals (see :func:`transaction_reverse`). Every change of
an invoice's money or status happens with its row locked (``SELECT … FOR UPDATE``), in one database
transaction with the posting and the audit record.

Receivable and payable accounts are created on first use, one per currency (``AR-<currency>`` and
``AP-<currency>``), unless the organization already has an active account of that purpose and currency, which is
then used; a line without an account is booked to ``SALES-<currency>`` (receivables) or
``PURCHASES-<currency>`` (payables), also created on first use. So the first invoice in a new currency works
without preparing the chart, and an organization that set its own accounts up keeps them.

One module per purpose: ``drafts`` (and their ``lines``), ``issuing`` (numbering and the posting),
``payments``, ``voiding``, the ``overdue`` sweep, the ``accounts`` made on first use, and what they share in
``base``. Import from here.
"""

from .accounts import invoice_balance_account_for, invoice_default_line_account_for
from .drafts import DRAFT_FIELDS, invoice_create, invoice_delete, invoice_recalculate, invoice_update
from .issuing import NUMBER_PREFIX, invoice_issue
from .lines import LINE_PURPOSES, MAX_LINES, LineData, invoice_lines_check, line_amount
from .overdue import invoices_mark_overdue
from .payments import invoice_payment_record, invoice_payment_reverse
from .voiding import invoice_void

__all__ = [
    "DRAFT_FIELDS",
    "LINE_PURPOSES",
    "MAX_LINES",
    "NUMBER_PREFIX",
    "LineData",
    "invoice_balance_account_for",
    "invoice_create",
    "invoice_default_line_account_for",
    "invoice_delete",
    "invoice_issue",
    "invoice_lines_check",
    "invoice_payment_record",
    "invoice_payment_reverse",
    "invoice_recalculate",
    "invoice_update",
    "invoice_void",
    "invoices_mark_overdue",
    "line_amount",
]
