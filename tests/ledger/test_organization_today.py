"""An organization's today is the date where it is (Organization.today in core), wherever the ledger needs a
default date: at 22:30 UTC it is already tomorrow in Moscow, while the server (UTC) still says today."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from apps.core.accounts.roles import Role
from apps.ledger import services
from apps.ledger.services import Leg

pytestmark = pytest.mark.django_db

LATE_EVENING_UTC = dt.datetime(2026, 5, 31, 22, 30, tzinfo=dt.UTC)  # 01:30 on June 1st in Moscow


@pytest.fixture
def clock():
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        yield


def test_today_is_the_date_in_the_organizations_time_zone(organization, clock):
    organization.time_zone = "Europe/Moscow"

    assert organization.today() == dt.date(2026, 6, 1)
    assert organization.today(now=LATE_EVENING_UTC - dt.timedelta(hours=3)) == dt.date(2026, 5, 31)
    organization.time_zone = "America/New_York"
    assert organization.today() == dt.date(2026, 5, 31)


def test_the_admins_forms_default_to_the_organizations_today(organization, books, member_of, clock):
    organization.time_zone = "Europe/Moscow"
    organization.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member_of(organization, role=Role.BOOKKEEPER))
    posted = services.transaction_post(
        organization=organization,
        user=None,
        date=dt.date(2026, 5, 20),
        idempotency_key="to-reverse",
        entries=[Leg(books.cash.pk, Decimal("5")), Leg(books.sales.pk, Decimal("-5"))],
    )

    add = client.get(reverse("admin:ledger_transaction_add"))
    reverse_page = client.get(reverse("admin:ledger_transaction_reverse", args=[posted.pk]))

    assert add.context["adminform"].form["date"].value() == dt.date(2026, 6, 1)
    assert reverse_page.context["form"]["date"].value() == dt.date(2026, 6, 1)
