"""Admin of the ledger: reports."""
