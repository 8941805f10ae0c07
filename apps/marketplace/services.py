"""Use cases that write: one keyword-only function per use case, in a transaction, with its audit record."""
