"""Billing's demo data for the demo organization (``manage.py seed_demo`` runs :func:`seed` through
``apps.core.operations.demo``): the plan catalogue, a subscription, and the organization's own T-Bank
terminal in test mode with payments its customers made, their provider fees and a refund, all in its books."""

from __future__ import annotations

from .payments import seed as seed_payments
from .subscription import seed as seed_subscription


def seed(*, organization, user) -> None:
    seed_subscription(organization=organization, user=user)
    seed_payments(organization=organization, user=user)
