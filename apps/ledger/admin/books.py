"""Admin of the ledger: books."""
