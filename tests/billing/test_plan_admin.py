"""The operator edits the plan catalogue: ``plan_save`` (names, trial, prices, limits, in one transaction with its
audit record) and the admin's plan page that calls it. What subscriptions rely on is kept: a price that live
subscriptions pay keeps its amount and stays, and a plan with subscribers stays free or paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.billing.models import Plan, PlanPrice
from apps.billing.services.plans import PLAN_FIELDS, plan_save
from apps.core.accounts.roles import Role
from apps.core.models import AuditLog
from tests.billing.plan_helpers import catalogue, subscribed
from tests.core.factories import UserFactory
from tests.helpers import assert_nothing_written

pytestmark = pytest.mark.django_db


def _fields(plan: Plan, **changes) -> dict:
    return {**{name: getattr(plan, name) for name in PLAN_FIELDS}, **changes}


def _prices(plan: Plan, **amounts) -> list[dict]:
    """The plan's prices as the admin sends them, with ``RUB_month="3490.00"``-style changes."""
    rows = []
    for price in plan.prices.order_by("currency", "period"):
        amount = amounts.get(f"{price.currency_id}_{price.period}", price.amount)
        rows.append({"currency": price.currency_id, "period": price.period, "amount": Decimal(amount)})
    return rows


def _limits(plan: Plan, **amounts) -> list[dict]:
    return [
        {"resource": limit.resource, "amount": amounts.get(limit.resource, limit.amount)}
        for limit in plan.plan_limits.order_by("resource")
    ]


def test_a_new_plan_is_saved_with_its_prices_and_limits_and_audited():
    catalogue()
    user = UserFactory(is_superuser=True, is_staff=True)

    plan = plan_save(
        code="team",
        name_ru="Команда",
        name_en="Team",
        trial_days=7,
        prices=[{"currency": "RUB", "period": "month", "amount": Decimal("1490.00")}],
        limits=[{"resource": "seats", "amount": 10}, {"resource": "messages", "amount": None}],
        user=user,
    )

    assert plan.prices.get().amount == Decimal("1490.00")
    assert plan.limits()["seats"] == 10
    assert plan.limits()["messages"] is None  # unlimited
    assert plan.limits()["agents"] == 0  # not listed: nothing allowed
    record = AuditLog.objects.get(action="billing.plan.save")
    assert record.actor_id == user.pk
    assert record.changes["after"]["prices"] == {"RUB/month": "1490.00"}


def test_a_limit_change_applies_to_the_plan_s_subscribers_at_once(organization):
    plans = catalogue()
    subscribed(organization, "pro")
    pro = plans["pro"]

    plan_save(plan=pro, prices=_prices(pro), limits=_limits(pro, seats=50), **_fields(pro))

    assert pro.limits()["seats"] == 50


def test_a_price_that_subscriptions_pay_keeps_its_amount_and_nothing_is_written(organization):
    plans = catalogue()
    subscribed(organization, "pro")
    pro = plans["pro"]

    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        plan_save(plan=pro, prices=_prices(pro, RUB_month="3490.00"), limits=_limits(pro), **_fields(pro, name_en="X"))

    [(field, [message])] = [(k, v) for k, v in refused.value.message_dict.items()]
    index = [row["currency"] + row["period"] for row in _prices(pro)].index("RUBmonth")
    assert field == f"prices.{index}.amount"
    assert message.startswith("1 subscription pays 2,990.00\xa0RUB: the price cannot change under it.")
    # A price nobody pays changes freely.
    plan_save(plan=pro, prices=_prices(pro, USD_year="420.00"), limits=_limits(pro), **_fields(pro))
    assert pro.prices.get(currency="USD", period="year").amount == Decimal("420.00")


def test_a_paid_price_cannot_be_removed_and_a_plan_with_subscribers_stays_paid(organization):
    plans = catalogue()
    subscribed(organization, "pro")
    pro = plans["pro"]
    others = [row for row in _prices(pro) if (row["currency"], row["period"]) != ("RUB", "month")]

    with pytest.raises(ValidationError) as refused:
        plan_save(plan=pro, prices=others, limits=_limits(pro), **_fields(pro, is_free=True))

    errors = refused.value.message_dict
    assert errors["is_free"] == ["1 subscription is on this plan: it cannot become free or paid under it."]
    assert "cannot be removed" in " ".join(errors["prices"])
    assert PlanPrice.objects.filter(plan=pro).count() == 4


def test_bad_rows_are_named_each_by_its_line():
    catalogue()
    with pytest.raises(ValidationError) as refused:
        plan_save(
            code="bad",
            name_ru="Плохой",
            name_en="",
            trial_days=400,
            prices=[
                {"currency": "RUB", "period": "month", "amount": Decimal("10.001")},
                {"currency": "RUB", "period": "month", "amount": Decimal("10")},
                {"currency": "XXX", "period": "week", "amount": Decimal("1")},
            ],
            limits=[{"resource": "seats", "amount": -1}, {"resource": "seats", "amount": 1}],
        )

    assert set(refused.value.message_dict) == {
        "name_en",
        "trial_days",
        "prices.0.amount",
        "prices.1.currency",
        "prices.2.currency",
        "limits.0.amount",
        "limits.1.resource",
    }
    assert not Plan.objects.filter(code="bad").exists()


# --- the admin's page -----------------------------------------------------------------------------------------


def _inline(prefix: str, rows: list[dict], initial: list) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(len(initial)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": "" if value is None else value for name, value in row.items()})
        if index < len(initial):
            data[f"{prefix}-{index}-id"] = initial[index].pk
            data[f"{prefix}-{index}-plan"] = initial[index].plan_id
    return data


def _page_data(plan: Plan, *, prices: list[dict], limits: list[dict], **changes) -> dict:
    header = {name: value for name, value in _fields(plan, **changes).items() if name != "code"}
    data = {name: ("on" if value is True else "" if value is False else value) for name, value in header.items()}
    data = {name: value for name, value in data.items() if value != ""}
    data.update(_inline("prices", prices, list(plan.prices.order_by("currency", "period"))))
    data.update(_inline("plan_limits", limits, list(plan.plan_limits.order_by("resource"))))
    return data


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_platform_s_staff_edit_a_plan_on_its_admin_page(staff_client, organization):
    pro = catalogue()["pro"]
    url = reverse("admin:billing_plan_change", args=[pro.pk])

    response = staff_client.post(
        url, _page_data(pro, prices=_prices(pro), limits=_limits(pro, seats=25), name_en="Professional")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    pro.refresh_from_db()
    assert (pro.name_en, pro.limits()["seats"]) == ("Professional", 25)
    assert AuditLog.objects.filter(action="billing.plan.save").count() == 1


def test_the_admin_page_shows_a_refused_price_on_its_row_and_saves_nothing(staff_client, organization):
    pro = catalogue()["pro"]
    subscribed(organization, "pro")
    url = reverse("admin:billing_plan_change", args=[pro.pk])

    response = staff_client.post(
        url, _page_data(pro, prices=_prices(pro, RUB_month="3490.00"), limits=_limits(pro), name_en="Changed")
    )

    assert response.status_code == 200
    assert "1 subscription pays 2,990.00\xa0RUB: the price cannot change under it." in response.content.decode()
    pro.refresh_from_db()
    assert pro.name_en == "Pro"
    assert not AuditLog.objects.filter(action="billing.plan.save").exists()


def test_members_of_organizations_read_the_catalogue_but_cannot_change_it(client, organization, member_of):
    pro = catalogue()["pro"]
    client.force_login(member_of(organization, role=Role.OWNER))
    url = reverse("admin:billing_plan_change", args=[pro.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, _page_data(pro, prices=_prices(pro), limits=_limits(pro), name_en="Mine"))

    assert response.status_code == 403
    pro.refresh_from_db()
    assert pro.name_en == "Pro"
