"""Demo traffic for the demo organization (``manage.py seed_demo`` runs :func:`seed` through
``apps.core.operations.demo``): a month of a Moloco campaign set and the same month as the Keitaro tracker saw
it (conversions and revenue), each written as a real export and imported through the same pipeline as an
upload; the campaigns of both linked to the affiliate program's offers; and affiliate payouts in the books
(paid, approved, pending). Running it again adds nothing: a source's month is imported once, the offers are
made once, and the payouts are found by their program."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Max

from apps.ledger.selectors import accounts_for

from .models import AffiliateProgram, Campaign, ImportJob, MetricFact, Offer, Payout, TrafficSource
from .services import (
    import_job_create,
    import_job_run,
    payout_approve,
    payout_create,
    payout_pay,
    traffic_source_get_or_create,
)
from .services.sources import reference_save

DAYS = 30
SOURCE_NAME = "Moloco"
# A Cyrillic name: the payouts' postings quote it, and the demo books read as Russian.
PROGRAM_NAME = "Партнёрская сеть «Лидогенератор»"
CAMPAIGNS = [
    ("cmp-ru-android", "RU_Android_Purchase", "RU", "ANDROID"),
    ("cmp-ru-ios", "RU_iOS_Purchase", "RU", "IOS"),
    ("cmp-kz-android", "KZ_Android_Reg", "KZ", "ANDROID"),
    ("cmp-de-ios", "DE_iOS_Trial", "DE", "IOS"),
]
EXCHANGES = ["UNITY", "APPLOVIN", "IRONSOURCE"]
HEADER = "Date,Campaign,Campaign ID,Ad Group,Creative,Exchange,Country,OS,Impressions,Clicks,Installs,Spend,Currency"
CENT = Decimal("0.01")

# The tracker: the same campaigns under its own ids, each with what one conversion pays (USD) and the share of
# installs that convert. The Kazakh registrations pay too little for their traffic: a campaign at a loss.
TRACKER_NAME = "Keitaro"
TRACKER_CAMPAIGNS = {
    "cmp-ru-android": (101, "RU_Android_Purchase", "Россия", "Android", Decimal("5.50"), 0.32),
    "cmp-ru-ios": (102, "RU_iOS_Purchase", "Россия", "iOS", Decimal("6.80"), 0.30),
    "cmp-kz-android": (103, "KZ_Android_Reg", "Казахстан", "Android", Decimal("1.60"), 0.45),
    "cmp-de-ios": (104, "DE_iOS_Trial", "Германия", "iOS", Decimal("4.20"), 0.35),
}
TRACKER_HEADER = "Дата;Кампания;ID кампании;Страна;ОС;Клики;Уникальные клики;Конверсии;Доход;Расход;Прибыль"


def _network_rows(last_day: date, days: int) -> list[tuple]:
    """The network's rows of ``days`` days ending ``last_day``: (day, campaign id, name, country, OS, exchange,
    impressions, clicks, installs, spend), the same for the same days (a seeded generator)."""
    generator = random.Random(last_day.toordinal())
    rows = []
    for offset in range(days - 1, -1, -1):
        day = last_day - timedelta(days=offset)
        weekend = 0.8 if day.weekday() >= 5 else 1.0
        for campaign_id, name, country, os in CAMPAIGNS:
            for exchange in EXCHANGES:
                impressions = int(generator.randint(8_000, 40_000) * weekend)
                clicks = int(impressions * generator.uniform(0.008, 0.03))
                installs = int(clicks * generator.uniform(0.05, 0.2))
                spend = (Decimal(impressions) * Decimal(generator.uniform(1.2, 4.5)).quantize(Decimal("0.01"))) / 1000
                rows.append(
                    (day, campaign_id, name, country, os, exchange, impressions, clicks, installs, spend.quantize(CENT))
                )
    return rows


def traffic_file(last_day: date, days: int = DAYS) -> bytes:
    """A Moloco dashboard export of ``days`` days ending ``last_day``: the same bytes for the same days, so
    seeding twice on one day imports one file."""
    lines = [HEADER]
    for day, campaign_id, name, country, os, exchange, impressions, clicks, installs, spend in _network_rows(
        last_day, days
    ):
        lines.append(
            f"{day.isoformat()},{name},{campaign_id},Broad,video_15s,{exchange},{country},{os},"
            f"{impressions},{clicks},{installs},{spend},USD"
        )
    return ("\n".join(lines) + "\n").encode()


def tracker_file(last_day: date, days: int = DAYS) -> bytes:
    """A Keitaro report export (its Russian interface's columns: a semicolon, a decimal comma, a space between
    thousands, a total line) of the same days and campaigns as :func:`traffic_file`, as a tracker sees them:
    its own campaign ids under the same names, a few per cent fewer clicks than the network charged, the
    conversions and the revenue the offers paid, and the cost it was told, which on two days is off by more
    than reconciliation lets pass."""
    generator = random.Random(last_day.toordinal() + 1)
    totals: dict[tuple, list] = {}
    for day, campaign_id, _name, _country, _os, _exchange, _shown, clicks, installs, spend in _network_rows(
        last_day, days
    ):
        found = totals.setdefault((day, campaign_id), [0, 0, Decimal(0)])
        found[0] += clicks
        found[1] += installs
        found[2] += spend
    off_days = {last_day - timedelta(days=4), last_day - timedelta(days=11)}
    lines = [TRACKER_HEADER]
    total = [0, 0, 0, Decimal(0), Decimal(0)]
    for (day, campaign_id), (clicks, installs, spend) in totals.items():
        number, name, country, os, payout, conversion_rate = TRACKER_CAMPAIGNS[campaign_id]
        seen = int(clicks * generator.uniform(0.93, 0.99))
        unique = int(seen * 0.9)
        conversions = int(installs * conversion_rate * generator.uniform(0.8, 1.2))
        revenue = payout * conversions
        skew = Decimal(generator.randint(980, 1020)) / 1000  # within 2%
        if day in off_days and campaign_id == "cmp-ru-ios":
            skew = Decimal("1.12")
        cost = (spend * skew).quantize(CENT)
        cells = [day.strftime("%d.%m.%Y"), name, str(number), country, os]
        cells += [_ru_number(seen), _ru_number(unique), _ru_number(conversions), _ru_number(revenue)]
        cells += [_ru_number(cost), _ru_number(revenue - cost)]
        lines.append(";".join(cells))
        for index, value in enumerate((seen, unique, conversions, revenue, cost)):
            total[index] += value
    seen, unique, conversions, revenue, cost = total
    cells = ["Итого", "", "", "", "", _ru_number(seen), _ru_number(unique), _ru_number(conversions)]
    lines.append(";".join(cells + [_ru_number(revenue), _ru_number(cost), _ru_number(revenue - cost)]))
    return ("\n".join(lines) + "\n").encode()


def _ru_number(value) -> str:
    """1234.5 as a Russian interface writes it: 1 234,50 (a count without decimals)."""
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


# The program's offers that the campaigns promote (the network's and the tracker's campaign of one name both):
# a report by offer or program then sets the tracker's revenue against the network's spend.
OFFERS = {
    "RU_Android_Purchase": "Маркетплейс: первая покупка (RU)",
    "RU_iOS_Purchase": "Маркетплейс: первая покупка (RU)",
    "KZ_Android_Reg": "Регистрация (KZ)",
    "DE_iOS_Trial": "Пробная подписка (DE)",
}


def seed(*, organization, user) -> None:
    imported = _traffic(organization, user)
    _offers(organization, user, imported)
    _payouts(organization, user)


def _offers(organization, user, sources: list[TrafficSource]) -> None:
    """The program's offers (made once: renamed or deleted since, they stay so), and the campaigns of the
    sources imported in this run linked to them (a campaign linked or unlinked by hand since stays so)."""
    program, _created = AffiliateProgram.objects.get_or_create(organization=organization, name=PROGRAM_NAME)
    offers = {offer.name: offer for offer in Offer.objects.filter(organization=organization, program=program)}
    if not offers:
        offers = {
            name: reference_save(instance=Offer(organization=organization, program=program, name=name), user=user)
            for name in dict.fromkeys(OFFERS.values())
        }
    for campaign in Campaign.objects.filter(source__in=sources, offer=None, name__in=OFFERS):
        offer = offers.get(OFFERS[campaign.name])
        if offer is not None:
            campaign.offer = offer
            reference_save(instance=campaign, user=user)


def _traffic(organization, user) -> list[TrafficSource]:
    """The network's month and the tracker's; returns the sources imported in this run."""
    network = _source(organization, user, SOURCE_NAME, TrafficSource.Kind.AD_NETWORK)
    yesterday = organization.today() - timedelta(days=1)
    imported = [network] if _import_once(network, user, "moloco_csv", traffic_file, yesterday) else []
    # The tracker's month is the network's: a demo seeded before the tracker came keeps the month it has.
    newest = MetricFact.objects.filter(organization_id=organization.pk, source=network).aggregate(
        newest=Max("report_date")
    )["newest"]
    tracker = _source(organization, user, TRACKER_NAME, TrafficSource.Kind.TRACKER)
    if _import_once(tracker, user, "keitaro", tracker_file, newest or yesterday):
        imported.append(tracker)
    return imported


def _source(organization, user, name: str, kind: str) -> TrafficSource:
    source, created = traffic_source_get_or_create(organization=organization, name=name, kind=kind, user=user)
    if created:
        source.currency = "USD"
        reference_save(instance=source, user=user)
    return source


def _import_once(source, user, format: str, make_file, last_day: date) -> bool:
    """Import the source's month unless it was seeded before (perhaps another month: the demo's month stays the
    one first imported); True when it was imported now."""
    if ImportJob.objects.filter(source=source, status=ImportJob.Status.DONE).exists():
        return False
    job = import_job_create(
        organization=source.organization_id,
        source=source,
        file=io.BytesIO(make_file(last_day)),
        file_name=f"{source.name.lower()}-{last_day.isoformat()}.csv",
        format=format,
        user=user,
    )
    if not job.is_finished:
        job = import_job_run(job=job.pk)
    return job.status == ImportJob.Status.DONE


def _payouts(organization, user) -> None:
    program, _created = AffiliateProgram.objects.get_or_create(organization=organization, name=PROGRAM_NAME)
    if Payout.objects.filter(organization=organization, program=program).exists():
        return  # seeded before: a later month adds no new payouts to the books
    cash = accounts_for(organization, "cash").filter(currency_id="RUB").first()
    first_of_month = organization.today().replace(day=1)
    plan = [(3, "184500.00", "paid"), (2, "212300.00", "paid"), (1, "236750.00", "approved")]
    for months_back, amount, wanted in plan:
        start = first_of_month
        for _ in range(months_back):
            start = (start - timedelta(days=1)).replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        payout = payout_create(
            organization=organization,
            program=program,
            period_start=start,
            period_end=end,
            amount=Decimal(amount),
            currency="RUB",
            user=user,
        )
        today = organization.today()
        payout = payout_approve(payout=payout, user=user, date=min(end + timedelta(days=5), today))
        if wanted == "paid" and cash is not None:
            payout_pay(payout=payout, cash_account=cash, user=user, date=min(end + timedelta(days=20), today))
    # This month's: still pending, for the approve action to be tried.
    payout_create(
        organization=organization,
        program=program,
        period_start=first_of_month,
        period_end=organization.today(),
        amount=Decimal("98000.00"),
        currency="RUB",
        user=user,
    )
