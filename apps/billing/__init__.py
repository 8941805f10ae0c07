"""Billing: Plans, subscriptions, payments, refunds, payment gateways, the webhook inbox."""
