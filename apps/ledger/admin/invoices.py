"""Admin of the ledger: invoices."""
