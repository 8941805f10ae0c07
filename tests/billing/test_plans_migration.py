"""Migration billing/0003_plans goes back (tables, the append-only trigger and its function dropped) and
forward again to the same definitions."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from tests.billing.test_sql_definitions import _billing_code

pytestmark = pytest.mark.django_db(transaction=True)

PLAN_TABLES = {
    "billing_plan",
    "billing_planprice",
    "billing_planlimit",
    "billing_subscription",
    "billing_subscriptionevent",
    "billing_usagecounter",
    "billing_usagerecord",
    "billing_usagethreshold",
}


def _tables() -> set[str]:
    return set(connection.introspection.table_names()) & PLAN_TABLES


def test_0003_plans_reverses_and_applies_again():
    definitions = _billing_code()
    assert _tables() == PLAN_TABLES

    call_command("migrate", "billing", "0002", verbosity=0)
    try:
        assert _tables() == set()
        assert not any("usagerecord" in name for name in _billing_code())
    finally:
        call_command("migrate", verbosity=0)

    assert _tables() == PLAN_TABLES
    assert _billing_code() == definitions
