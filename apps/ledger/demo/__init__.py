"""Demo data for the demo organization (``manage.py seed_demo`` runs :func:`seed` through
``apps.core.operations.demo``): the books of a realistic month (:mod:`.books`), then invoices in every state
(:mod:`.invoices`). Everything goes through the services, and running it again adds nothing."""

from __future__ import annotations

from . import books, invoices


def seed(*, organization, user) -> None:
    accounts = books.seed(organization=organization, user=user)
    invoices.seed(
        organization=organization,
        user=user,
        accounts={
            "bank": accounts["51.1"],
            "sales": accounts["90.2"],
            "services": accounts["44.5"],
            "rent": accounts["44.1"],
        },
    )
