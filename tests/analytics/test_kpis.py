"""KPI golden values: ratios of sums, exact Decimals, "—" instead of a division by zero."""

from decimal import Decimal

import pytest

from apps.analytics.kpis import KPIS, NO_VALUE, kpi_display, kpi_values

SUMS = {
    "impressions": 120_000,
    "clicks": 3_000,
    "installs": 150,
    "conversions": 45,
    "spend": Decimal("1234.56"),
    "revenue": Decimal("2000.00"),
}


def test_golden_values():
    assert kpi_values(SUMS) == {
        "cpm": Decimal("10.2880"),  # 1234.56 / 120000 * 1000
        "cpc": Decimal("0.4115"),  # 0.41152 half-even
        "ctr": Decimal("2.50"),
        "cpi": Decimal("8.2304"),
        "cr": Decimal("1.50"),
        "cpa": Decimal("27.4347"),  # 27.434666…
        "epc": Decimal("0.6667"),
        "revenue": Decimal("2000.00"),
        "profit": Decimal("765.44"),
        "roi": Decimal("62.00"),  # 765.44 / 1234.56 = 0.620010…
        "roas": Decimal("162.00"),
    }
    assert all(isinstance(value, Decimal) for value in kpi_values(SUMS).values())


def test_a_ratio_of_sums_not_a_mean_of_ratios():
    day_one = {"spend": Decimal("10"), "clicks": 10}
    day_two = {"spend": Decimal("90"), "clicks": 10}
    both = {"spend": day_one["spend"] + day_two["spend"], "clicks": 20}
    assert KPIS["cpc"].value(both) == Decimal("5.0000")  # the mean of 1 and 9 would also be 5: check weights
    assert KPIS["cpc"].value({"spend": Decimal("10"), "clicks": 1} | {"spend": Decimal("100"), "clicks": 11}) == (
        Decimal("9.0909")
    )


def test_rounding_is_half_even():
    assert KPIS["cpc"].value({"spend": Decimal("0.00025"), "clicks": 1}) == Decimal("0.0002")
    assert KPIS["cpc"].value({"spend": Decimal("0.00035"), "clicks": 1}) == Decimal("0.0004")


@pytest.mark.parametrize("code", ["cpm", "cpc", "ctr", "cpi", "cr", "cpa", "epc", "roi", "roas"])
def test_division_by_zero_is_none_shown_as_a_dash(code):
    zero = dict.fromkeys(SUMS, 0)
    assert KPIS[code].value(zero) is None
    assert kpi_display(KPIS[code].value(zero)) == NO_VALUE == "—"


def test_a_missing_metric_is_not_zero():
    sums = dict(SUMS, revenue=None)
    values = kpi_values(sums)
    assert values["revenue"] is None
    assert values["profit"] is None
    assert values["roas"] is None
    assert values["cpc"] == Decimal("0.4115")  # what does not need revenue is still there
    assert kpi_values(dict(SUMS, clicks=None))["cpc"] is None


def test_negative_profit_and_roi():
    sums = {"spend": Decimal("200.00"), "revenue": Decimal("150.00")}
    assert KPIS["profit"].value(sums) == Decimal("-50.00")
    assert KPIS["roi"].value(sums) == Decimal("-25.00")
    assert kpi_display(KPIS["roi"].value(sums)) == "-25.00"
