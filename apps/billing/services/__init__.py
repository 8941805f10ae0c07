"""Billing's use cases that write, one module per purpose (payments, refunds, postings, subscriptions, usage)."""
