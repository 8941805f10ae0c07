import factory

from apps.ledger.models import Account, AccountType, Category, Counterparty, Project
from tests.core.factories import OrganizationFactory


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"{1000 + n}")
    name = factory.Sequence(lambda n: f"Account {n}")
    type = AccountType.ASSET
    currency_id = "RUB"


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Project {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Category {n}")
    kind = Category.Kind.EXPENSE


class CounterpartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counterparty

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Counterparty {n}")


# --- invoices and recurring payments ----------------------------------------------------------------------

import datetime as dt  # noqa: E402  (this section is appended; the file's head belongs to the books)


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A draft invoice with one line (``lines=[{...}]`` for others), built through the service so its amounts
    and total are what the service computes. ``InvoiceFactory(organization=org, issued=True)`` issues it."""

    class Meta:
        model = "ledger.Invoice"

    organization = factory.SubFactory(OrganizationFactory)
    kind = "receivable"
    counterparty = factory.SubFactory(CounterpartyFactory, organization=factory.SelfAttribute("..organization"))
    currency_id = "RUB"
    issue_date = dt.date(2026, 3, 2)
    due_date = factory.LazyAttribute(lambda o: o.issue_date + dt.timedelta(days=14))

    @classmethod
    def _create(cls, model_class, *args, lines=None, issued=False, **kwargs):
        from apps.ledger.services.invoices import invoice_create, invoice_issue

        invoice = invoice_create(
            organization=kwargs.pop("organization"),
            user=None,
            kind=kwargs.pop("kind"),
            counterparty=kwargs.pop("counterparty"),
            currency=kwargs.pop("currency_id"),
            issue_date=kwargs.pop("issue_date"),
            due_date=kwargs.pop("due_date"),
            lines=lines if lines is not None else [{"description": "Consulting", "quantity": "2", "unit_price": "500"}],
            **kwargs,
        )
        return invoice_issue(invoice=invoice, user=None) if issued else invoice


class RecurringPaymentFactory(factory.django.DjangoModelFactory):
    """A monthly recurring payment of 1000 RUB between two fresh accounts of the organization (``legs=[...]``
    for a template of your own), built through the service."""

    class Meta:
        model = "ledger.RecurringPayment"

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Recurring {n}")
    interval_unit = "months"
    interval_count = 1
    start_date = dt.date(2026, 1, 31)

    @classmethod
    def _create(cls, model_class, *args, legs=None, **kwargs):
        from apps.ledger.services.recurring import recurring_payment_create

        organization = kwargs.pop("organization")
        if legs is None:
            bank = AccountFactory(organization=organization)
            rent = AccountFactory(organization=organization, type=AccountType.EXPENSE)
            legs = [{"account": rent, "amount": "1000"}, {"account": bank, "amount": "-1000"}]
        return recurring_payment_create(organization=organization, user=None, legs=legs, **kwargs)
