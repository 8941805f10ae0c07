"""Billing in the admin, one module per purpose: gateway accounts (credentials entered per provider and only
ever shown masked), payments and refunds (read-only, with refund, capture, cancel and sync pages calling the
services), plans, subscriptions (read-only, with cancel, resume and change of plan through the services),
usage, and the billing panel of the admin home (``dashboard``)."""

from . import dashboard, gateways, payments, plans, subscriptions  # noqa: F401  (each registers its ModelAdmins)
