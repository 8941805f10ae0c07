"""Profitability: what the traffic cost against what the affiliate programs approved and paid, by program,
offer and campaign, in the organization's reporting currency.

- **Spend** comes from the daily rollup (the sources' spend on their report dates), each day converted at
  that day's rate, as in the traffic report; where sources of several kinds report a campaign's day, its spend
  is taken from one kind only (the ad network's, else the next kind that has it: ``reports.METRIC_OWNERS``),
  and the report says so.
- **Approved** and **paid** come from the books, not from the payout rows' status: a payout counts as
  approved on the date of its approval posting (and counts back out on the date its reversal was posted),
  as paid on the date of its payment posting. So for any period the approved amounts are exactly the
  affiliate income the ledger shows for that period, currency by currency (``books``), to the cent.
- Payouts are owed per program, or per offer of a program; campaigns carry spend only. The rows form a tree:
  a program, its offers (with "the whole program" for payouts that name no offer), each offer's campaigns;
  a program's and an offer's figures are the sums of what lies under them. Profit and ROI come from the KPI
  registry (``profit`` = approved − spend, ``roi`` = profit / spend).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from apps.core.models import Currency
from apps.core.selectors import FxRateUsed

from .kpis import KPIS
from .models import DailyRollup, Payout
from .reports import Converter, Owners, SummedSourceKinds, campaign_day, summed_source_kinds

PROGRAM, OFFER, CAMPAIGN = "program", "offer", "campaign"
FIGURES = ("spend", "approved", "paid")


@dataclass
class ProfitabilityRow:
    level: str  # program, offer or campaign
    key: str  # "p<id>", "p<id>/o<id>", "p<id>/o<id>/c<id>"; 0 for "none"
    label: str
    spend: Decimal | None = None
    approved: Decimal | None = None  # None on campaign rows: payouts are owed per program or offer
    paid: Decimal | None = None
    profit: Decimal | None = None
    roi: Decimal | None = None
    children: list[ProfitabilityRow] = field(default_factory=list, repr=False)

    def add(self, name: str, amount: Decimal | None) -> None:
        if amount is not None:
            current = getattr(self, name)
            setattr(self, name, amount if current is None else current + amount)

    def finish(self, places: int) -> None:
        """Compute the KPIs of the exact figures (as the traffic report does), then round the figures and the
        profit to the currency's places (half-even, once, after summing)."""
        quantum = Decimal(1).scaleb(-places)
        if self.level != CAMPAIGN:
            sums = {"revenue": self.approved or Decimal(0), "spend": self.spend or Decimal(0)}
            self.profit = KPIS["profit"].value(sums).quantize(quantum, rounding=ROUND_HALF_EVEN)
            self.roi = KPIS["roi"].value(sums)
        for name in FIGURES:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value.quantize(quantum, rounding=ROUND_HALF_EVEN))


@dataclass
class Profitability(SummedSourceKinds):
    organization: object
    date_from: dt.date
    date_to: dt.date
    currency: str
    precision: int
    rows: list[ProfitabilityRow]  # the tree, flattened in reading order
    totals: ProfitabilityRow
    rates: list[FxRateUsed]
    books: dict[str, dict[str, Decimal]]  # payout currency -> {"approved": …, "paid": …} as posted
    source_kinds: list[str] = field(default_factory=list)  # the kinds of the sources whose spend is summed
    metric_kinds: dict[str, list[str]] = field(default_factory=dict)  # {"spend": the kinds it was taken from}


def _node(nodes: dict, key: str, level: str, label: str, parent: ProfitabilityRow | None) -> ProfitabilityRow:
    node = nodes.get(key)
    if node is None:
        node = nodes[key] = ProfitabilityRow(level, key, label)
        if parent is not None:
            parent.children.append(node)
    return node


def _in(day: dt.date | None, date_from: dt.date, date_to: dt.date) -> bool:
    return day is not None and date_from <= day <= date_to


def profitability_report(*, organization, date_from: dt.date, date_to: dt.date) -> Profitability:
    """Spend against approved and paid payouts from ``date_from`` to ``date_to`` inclusive (report dates for
    spend, posting dates for payouts). Raises ``MissingRate`` when an amount cannot be converted."""
    currency = Currency.objects.get(pk=organization.reporting_currency_id)
    converter = Converter(organization, currency)
    nodes: dict[str, ProfitabilityRow] = {}
    programs: list[ProfitabilityRow] = []
    no_program, no_offer, whole_program = _("(no program)"), _("(no offer)"), _("(the whole program)")

    def program_node(program_id, name) -> ProfitabilityRow:
        key = f"p{program_id or 0}"
        if key not in nodes:
            programs.append(_node(nodes, key, PROGRAM, name or no_program, None))
        return nodes[key]

    def offer_node(program: ProfitabilityRow, offer_id, name) -> ProfitabilityRow:
        return _node(nodes, f"{program.key}/o{offer_id or 0}", OFFER, name or no_offer, program)

    spend = (
        DailyRollup.objects.filter(
            organization_id=organization.pk, report_date__gte=date_from, report_date__lte=date_to
        )
        .values(
            "campaign_id",
            "campaign__name",
            "campaign__offer_id",
            "campaign__offer__name",
            "campaign__offer__program_id",
            "campaign__offer__program__name",
            "report_date",
            "currency",
            "source__kind",
        )
        .annotate(total=Sum("spend"))
        .filter(total__isnull=False)
        .order_by()
    )
    spend = list(spend)
    kinds = {group["source__kind"] for group in spend}
    # Spend that sources of several kinds report for a campaign's day is taken from one kind (the traffic
    # report's rule).
    owners = Owners()
    for group in spend:
        group["slot"] = campaign_day(group["report_date"], group["campaign__name"])
        owners.saw(group["slot"], group["source__kind"], {"spend": group["total"]})
    for group in spend:
        if owners.owned(group["slot"], group["source__kind"], {"spend": group["total"]})["spend"] is None:
            continue
        if not group["currency"]:
            continue  # an amount in no currency is left out, as the traffic report leaves it out
        program = program_node(group["campaign__offer__program_id"], group["campaign__offer__program__name"])
        offer = offer_node(program, group["campaign__offer_id"], group["campaign__offer__name"])
        campaign = _node(
            nodes,
            f"{offer.key}/c{group['campaign_id'] or 0}",
            CAMPAIGN,
            group["campaign__name"] or _("(no campaign)"),
            offer,
        )
        campaign.add("spend", converter.convert(group["total"], group["currency"], group["report_date"]))

    books: dict[str, dict[str, Decimal]] = {}
    period = Q(approval_transaction__date__range=(date_from, date_to))
    period |= Q(reversal_transaction__date__range=(date_from, date_to))
    period |= Q(payment_transaction__date__range=(date_from, date_to))
    payouts = (
        Payout.objects.filter(period, organization_id=organization.pk)
        .select_related("program", "offer", "approval_transaction", "reversal_transaction", "payment_transaction")
        .order_by("pk")
    )
    for payout in payouts:
        program = program_node(payout.program_id, payout.program.name)
        offer = offer_node(program, payout.offer_id, payout.offer.name if payout.offer else whole_program)
        posted = books.setdefault(payout.currency_id, dict.fromkeys(("approved", "paid"), Decimal(0)))
        moves = [
            ("approved", payout.approval_transaction, 1),
            ("approved", payout.reversal_transaction, -1),
            ("paid", payout.payment_transaction, 1),
        ]
        for name, posting, sign in moves:
            if posting is not None and _in(posting.date, date_from, date_to):
                amount = payout.amount * sign
                posted[name] += amount
                offer.add(name, converter.convert(amount, payout.currency_id, posting.date))

    def ordered(rows: list[ProfitabilityRow]) -> list[ProfitabilityRow]:
        # Named rows by name; "(none)" rows (id 0) last.
        return sorted(rows, key=lambda row: (row.key.rsplit("/", 1)[-1][1:] == "0", row.label.casefold(), row.key))

    flat: list[ProfitabilityRow] = []
    totals = ProfitabilityRow(PROGRAM, "", _("Total"))
    for program in ordered(programs):
        flat.append(program)
        for offer in ordered(program.children):
            flat.append(offer)
            for campaign in ordered(offer.children):
                flat.append(campaign)
                offer.add("spend", campaign.spend)
                campaign.finish(currency.precision)
            for name in FIGURES:
                program.add(name, getattr(offer, name))
            offer.finish(currency.precision)
        for name in FIGURES:
            totals.add(name, getattr(program, name))
        program.finish(currency.precision)
    totals.finish(currency.precision)
    places = dict(Currency.objects.filter(pk__in=books).values_list("pk", "precision"))
    for code, figures in books.items():
        for name, value in figures.items():
            figures[name] = value.quantize(Decimal(1).scaleb(-places[code]), rounding=ROUND_HALF_EVEN)
    return Profitability(
        organization=organization,
        date_from=date_from,
        date_to=date_to,
        currency=currency.pk,
        precision=currency.precision,
        rows=flat,
        totals=totals,
        rates=converter.used(),
        books=dict(sorted(books.items())),
        source_kinds=summed_source_kinds(kinds),
        metric_kinds=owners.metric_kinds(),
    )
