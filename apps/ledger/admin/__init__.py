"""The ledger in the admin, one module per area (books, invoices, reports, crypto)."""

from . import books, crypto, invoices, reports  # noqa: F401  (each registers its ModelAdmins)
