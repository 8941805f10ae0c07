"""The ledger in the admin, one module per purpose: the chart of accounts, reference data (projects, categories,
counterparties), the journal and its posting form, the closed period, invoices and their payments, recurring
payments, crypto transfers and the reports. ``common`` holds what they share."""

from . import accounts, crypto, invoices, periods, recurring, reports, tags, transactions  # noqa: F401  (each registers its ModelAdmins)
