"""Usage warnings: the owners of an organization hear once per month of each threshold (80 %, 100 %) its use of a
resource crosses, in their own language; other members do not, and a repeat announces nothing more."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from apps.billing.models import Resource
from apps.billing.services.usage import usage_reserve, usage_settle
from apps.billing.services.usage_warnings import usage_threshold_notify
from apps.core.mechanisms.notifications import notification_render
from apps.core.models import Notification
from tests.billing.plan_helpers import catalogue

pytestmark = pytest.mark.django_db

MARCH = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
APRIL = dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC)


@pytest.fixture
def owners(organization, member_of):
    catalogue()  # the free plan: 1000 messages a month
    anna = member_of(organization, role="owner", email="anna@example.com", language="en")
    boris = member_of(organization, role="owner", email="boris@example.com", language="ru")
    member_of(organization, role="viewer", email="clerk@example.com")
    return anna, boris


def _send(organization, key: str, amount: int) -> list[int]:
    usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=amount, key=key)
    return usage_settle(organization=organization, key=key, actual=amount).thresholds_crossed


def _warnings():
    return Notification.objects.filter(template="billing_usage_threshold").order_by("recipient", "pk")


def test_each_threshold_is_told_to_each_owner_once_a_month(organization, owners):
    with time_machine.travel(MARCH, tick=False):
        crossed = [_send(organization, f"send-{n}", amount) for n, amount in enumerate([700, 100, 50, 140, 10])]

    assert crossed == [[], [80], [], [], [100]]
    sent = [(n.recipient, n.context["percent"]) for n in _warnings()]
    assert sent == [
        ("anna@example.com", 80),
        ("anna@example.com", 100),
        ("boris@example.com", 80),
        ("boris@example.com", 100),
    ]


def test_the_next_month_warns_again(organization, owners):
    with time_machine.travel(MARCH, tick=False):
        _send(organization, "march", 850)
    with time_machine.travel(APRIL, tick=False):
        _send(organization, "april", 850)

    assert sorted(n.context["month"] for n in _warnings().filter(recipient="anna@example.com")) == [
        "April 2026",
        "March 2026",
    ]


def test_announcing_a_threshold_again_sends_nothing_more(organization, owners):
    arguments = {
        "organization": organization,
        "resource": Resource.MESSAGES,
        "period": dt.date(2026, 3, 1),
        "percent": 100,
        "used": 1000,
        "limit": 1000,
    }
    with transaction.atomic():
        first = usage_threshold_notify(**arguments)
    with transaction.atomic():
        again = usage_threshold_notify(**arguments)

    assert [n.pk for n in first] == [n.pk for n in again]
    assert _warnings().count() == 2


def test_a_warning_reads_in_the_owners_language_with_the_numbers(organization, owners):
    with time_machine.travel(MARCH, tick=False):
        _send(organization, "big", 820)

    anna = _warnings().get(recipient="anna@example.com")
    boris = _warnings().get(recipient="boris@example.com")
    assert (anna.language, boris.language) == ("en", "ru")
    message = notification_render(anna)
    assert "80% of the limit of messages per month used" in message.subject
    assert "820 of 1000" in message.text
    assert "March 2026" in message.text
    assert "820 of 1000" in message.html
    # The words put into the context are in the owner's language (the template's own words are translated by
    # the lead at merge time).
    assert boris.context["month"] != anna.context["month"]


def _settle_then_fail(organization):
    with transaction.atomic():
        usage_settle(organization=organization, key="undone", actual=900)
        raise RuntimeError("the work's transaction failed")


def test_a_rolled_back_settlement_warns_nobody(organization, owners):
    with time_machine.travel(MARCH, tick=False):
        usage_reserve(organization=organization, resource=Resource.MESSAGES, amount=900, key="undone")
        with pytest.raises(RuntimeError):
            _settle_then_fail(organization)

    assert not _warnings().exists()
