"""The one registry of traffic KPIs: every page, API answer and export computes them here.

Each KPI is defined once, as a ratio of sums: ``(Σ numerator terms) / Σ denominator × factor``. A ratio of
sums is the only form that stays right at every grouping (the CPC of a month is the month's spend over its
clicks, never the mean of thirty daily CPCs). Rules:

- amounts and results are Decimal, computed exactly (50 significant digits) and rounded half-even once, to
  the KPI's places; the sums of money (revenue, profit) are given as they are, and a report rounds them to its
  currency's places together with its amounts;
- a denominator of 0 or missing gives ``None``, never 0 or infinity; a missing (NULL) sum in the numerator
  gives ``None`` too: a missing metric is not 0. ``None`` is shown as :data:`NO_VALUE` ("—").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from django.utils.translation import gettext_lazy as _

NO_VALUE = "—"

# The sums a KPI may be made of: the metrics of a daily fact (amounts already in one currency).
SUMS = ("impressions", "clicks", "installs", "conversions", "spend", "revenue")

MONEY = "money"
PERCENT = "percent"


@dataclass(frozen=True)
class Kpi:
    code: str
    label: object
    # metric -> sign: the numerator is the signed sum of these sums (profit is revenue - spend)
    numerator: dict = field(default_factory=dict)
    denominator: str | None = None
    factor: Decimal = Decimal(1)
    places: int | None = 2  # None: the sum as it is (the report rounds it to its currency's places)
    unit: str = MONEY

    def value(self, sums: dict) -> Decimal | None:
        """This KPI of ``sums`` (metric -> Decimal, int or None), rounded half-even to :attr:`places`."""
        terms = [sums.get(name) for name in self.numerator]
        if any(term is None for term in terms):
            return None
        with localcontext() as context:
            context.prec = 50
            top = sum(
                (Decimal(term) * sign for term, sign in zip(terms, self.numerator.values(), strict=True)),
                Decimal(0),
            )
            if self.denominator is not None:
                bottom = sums.get(self.denominator)
                if bottom is None or bottom == 0:
                    return None
                top = top * self.factor / Decimal(bottom)
            else:
                top = top * self.factor
            if self.places is None:
                return top
            return top.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_EVEN)


KPIS: dict[str, Kpi] = {
    kpi.code: kpi
    for kpi in (
        Kpi("cpm", _("CPM"), {"spend": 1}, "impressions", Decimal(1000), 4),
        Kpi("cpc", _("CPC"), {"spend": 1}, "clicks", places=4),
        Kpi("ctr", _("CTR, %"), {"clicks": 1}, "impressions", Decimal(100), 2, PERCENT),
        Kpi("cpi", _("CPI"), {"spend": 1}, "installs", places=4),
        Kpi("cr", _("CR, %"), {"conversions": 1}, "clicks", Decimal(100), 2, PERCENT),
        Kpi("cpa", _("CPA"), {"spend": 1}, "conversions", places=4),
        Kpi("epc", _("EPC"), {"revenue": 1}, "clicks", places=4),
        Kpi("revenue", _("Revenue"), {"revenue": 1}, places=None),
        Kpi("profit", _("Profit"), {"revenue": 1, "spend": -1}, places=None),
        Kpi("roi", _("ROI, %"), {"revenue": 1, "spend": -1}, "spend", Decimal(100), 2, PERCENT),
        Kpi("roas", _("ROAS, %"), {"revenue": 1}, "spend", Decimal(100), 2, PERCENT),
    )
}


def kpi_values(sums: dict) -> dict[str, Decimal | None]:
    """Every KPI of ``sums``, by code, in the registry's order."""
    return {code: kpi.value(sums) for code, kpi in KPIS.items()}


def kpi_display(value) -> str:
    """A KPI value as people read it: the plain decimal, or "—" when there is none."""
    return NO_VALUE if value is None else format(value, "f")
