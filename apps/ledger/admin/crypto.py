"""Admin of the ledger: crypto."""
