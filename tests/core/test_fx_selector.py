"""``fx_rate_for``: which stored rate a conversion uses, and how inverse and cross rates are derived."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from apps.core.models import Currency, FxRate
from apps.core.selectors import fx_rate_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages are checked in English (the default language is Russian)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


MONDAY, TUESDAY, WEDNESDAY = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)


def rate(base, quote, value, on, organization=None, source=None) -> FxRate:
    return FxRate.objects.create(
        organization=organization,
        date=on,
        base_id=base,
        quote_id=quote,
        rate=Decimal(value),
        source=source or ("cbr" if organization is None else "manual"),
    )


def test_the_latest_public_rate_on_or_before_the_date_is_used(organization):
    rate("USD", "RUB", "80.5", MONDAY)
    used_on_tuesday = rate("USD", "RUB", "81.0123", TUESDAY)
    rate("USD", "RUB", "82", WEDNESDAY)  # not known yet on Tuesday

    used = fx_rate_for(organization=organization, base="USD", quote="RUB", on=TUESDAY)

    assert (used.rate, used.date, used.method, used.source) == (Decimal("81.0123"), TUESDAY, "direct", "cbr")
    assert used.fx_rate == used_on_tuesday
    assert fx_rate_for(organization=organization, base="USD", quote="RUB", on=date(2026, 11, 30)).rate == 82


def test_the_organizations_own_rate_wins_over_the_public_one_of_the_same_date(organization, other_organization):
    rate("USD", "RUB", "81.0123", TUESDAY)
    own = rate("USD", "RUB", "80", TUESDAY, organization=organization)
    rate("USD", "RUB", "79", TUESDAY, organization=other_organization)

    assert fx_rate_for(organization=organization, base="USD", quote="RUB", on=TUESDAY).fx_rate == own
    # Another organization's own rate is not seen; without an organization only public rates count.
    assert fx_rate_for(organization=other_organization.pk, base="USD", quote="RUB", on=TUESDAY).rate == 79
    assert fx_rate_for(organization=None, base="USD", quote="RUB", on=TUESDAY).rate == Decimal("81.0123")


def test_a_later_public_rate_wins_over_an_older_own_one(organization):
    rate("USD", "RUB", "75", MONDAY, organization=organization)
    rate("USD", "RUB", "81.0123", TUESDAY)

    used = fx_rate_for(organization=organization, base="USD", quote="RUB", on=WEDNESDAY)

    assert (used.rate, used.date, used.source) == (Decimal("81.0123"), TUESDAY, "cbr")


def test_an_inverse_pair_is_used_inverted_and_rounded_once(organization):
    stored = rate("USD", "RUB", "81.0123", TUESDAY)

    used = fx_rate_for(organization=organization, base="RUB", quote="USD", on=TUESDAY)

    assert used.method == "inverse"
    assert used.rate == Decimal("0.012343804583")  # 1 / 81.0123, half-even to 12 places
    assert used.rates == (stored,)
    assert used.fx_rate is None  # not the stored figure: a posting records its own rate


def test_on_the_same_date_a_direct_rate_wins_over_an_inverse_one(organization):
    rate("RUB", "USD", "0.0125", TUESDAY, organization=organization)
    direct = rate("USD", "RUB", "80", TUESDAY, organization=organization)

    assert fx_rate_for(organization=organization, base="USD", quote="RUB", on=TUESDAY).fx_rate == direct


def test_a_cross_rate_goes_through_the_rouble(organization):
    rate("USD", "RUB", "81.0123", TUESDAY)
    rate("EUR", "RUB", "94.3120", MONDAY)

    used = fx_rate_for(organization=organization, base="USD", quote="EUR", on=WEDNESDAY)

    assert used.method == "cross"
    assert used.rate == Decimal("0.858981889897")  # 81.0123 / 94.3120
    assert used.date == MONDAY  # as old as its older leg
    assert [row.base_id for row in used.rates] == ["USD", "EUR"]
    assert fx_rate_for(organization=organization, base="EUR", quote="USD", on=WEDNESDAY).rate == Decimal(
        "1.164168897809"
    )


def test_a_cross_rate_may_use_inverse_legs(organization):
    Currency.objects.create(code="CNY", name="Yuan", precision=2)
    rate("RUB", "USD", "0.0125", TUESDAY, organization=organization)  # 80 roubles a dollar
    rate("CNY", "RUB", "11.2", TUESDAY)

    used = fx_rate_for(organization=organization, base="USD", quote="CNY", on=TUESDAY)

    assert (used.method, used.rate, used.source) == ("cross", Decimal("7.142857142857"), "cbr+manual")


def test_a_fresher_cross_rate_wins_over_an_old_direct_one_and_not_on_the_same_date(organization):
    rate("USD", "EUR", "0.9", MONDAY, organization=organization)
    rate("USD", "RUB", "81", TUESDAY)
    rate("EUR", "RUB", "94", TUESDAY)

    assert fx_rate_for(organization=organization, base="USD", quote="EUR", on=TUESDAY).method == "cross"

    direct = rate("USD", "EUR", "0.86", TUESDAY, organization=organization)
    assert fx_rate_for(organization=organization, base="USD", quote="EUR", on=TUESDAY).fx_rate == direct


def test_the_same_currency_converts_at_one(organization):
    used = fx_rate_for(organization=organization, base="RUB", quote=Currency.objects.get(code="RUB"), on=TUESDAY)

    assert (used.rate, used.method, used.rates) == (Decimal(1), "identity", ())


def test_a_missing_rate_names_the_pair_and_the_date(organization):
    rate("USD", "RUB", "81", WEDNESDAY)  # only later than asked
    rate("EUR", "RUB", "94", MONDAY)

    with pytest.raises(ValidationError) as caught:
        fx_rate_for(organization=organization, base="USD", quote="EUR", on=TUESDAY)

    error = caught.value
    assert error.code == "fx_rate_missing"
    assert "USD/EUR" in error.messages[0]
    assert "2026-11-17" in error.messages[0]


def test_a_conversion_uses_the_money_rounding(organization):
    rate("USD", "RUB", "81.0123", TUESDAY)

    used = fx_rate_for(organization=organization, base="USD", quote="RUB", on=TUESDAY)

    assert used.convert(Decimal("10.05"), 2) == Decimal("814.17")  # 814.173615 → half-even to kopecks


def test_at_most_three_queries(organization):
    rate("USD", "RUB", "81", MONDAY)
    rate("EUR", "RUB", "94", MONDAY)

    with CaptureQueriesContext(connection) as direct:
        fx_rate_for(organization=organization, base="USD", quote="RUB", on=TUESDAY)
    with CaptureQueriesContext(connection) as cross:
        fx_rate_for(organization=organization, base="USD", quote="EUR", on=TUESDAY)

    assert len(direct) == 1
    assert len(cross) == 3
