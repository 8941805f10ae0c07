"""Demo traffic for the demo organization (``manage.py seed_demo`` runs :func:`seed` through
``apps.core.operations.demo``): a month of a Moloco campaign set, written as a real CSV export and imported
through the same pipeline as an upload, and affiliate payouts in the books (one paid, one approved, one
pending). Running it again adds nothing: the same file is the same import, and the payouts are found by their
period."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from decimal import Decimal

from apps.ledger.selectors import accounts_for

from .models import AffiliateProgram, ImportJob, Payout
from .services import (
    import_job_create,
    import_job_run,
    payout_approve,
    payout_create,
    payout_pay,
    traffic_source_get_or_create,
)

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


def traffic_file(last_day: date, days: int = DAYS) -> bytes:
    """A Moloco dashboard export of ``days`` days ending ``last_day``: the same bytes for the same days (a
    seeded generator), so seeding twice on one day imports one file."""
    generator = random.Random(last_day.toordinal())
    lines = [HEADER]
    for offset in range(days - 1, -1, -1):
        day = last_day - timedelta(days=offset)
        weekend = 0.8 if day.weekday() >= 5 else 1.0
        for campaign_id, name, country, os in CAMPAIGNS:
            for exchange in EXCHANGES:
                impressions = int(generator.randint(8_000, 40_000) * weekend)
                clicks = int(impressions * generator.uniform(0.008, 0.03))
                installs = int(clicks * generator.uniform(0.05, 0.2))
                spend = (Decimal(impressions) * Decimal(generator.uniform(1.2, 4.5)).quantize(Decimal("0.01"))) / 1000
                lines.append(
                    f"{day.isoformat()},{name},{campaign_id},Broad,video_15s,{exchange},{country},{os},"
                    f"{impressions},{clicks},{installs},{spend.quantize(Decimal('0.01'))},USD"
                )
    return ("\n".join(lines) + "\n").encode()


def seed(*, organization, user) -> None:
    _traffic(organization, user)
    _payouts(organization, user)


def _traffic(organization, user) -> None:
    source, _created = traffic_source_get_or_create(organization=organization, name=SOURCE_NAME, user=user)
    if not source.currency:
        source.currency = "USD"
        source.save(update_fields=["currency"])
    if ImportJob.objects.filter(source=source, status=ImportJob.Status.DONE).exists():
        return  # seeded before (perhaps another month): the demo's month stays the one first imported
    last_day = organization.today() - timedelta(days=1)
    job = import_job_create(
        organization=organization,
        source=source,
        file=io.BytesIO(traffic_file(last_day)),
        file_name=f"moloco-{last_day.isoformat()}.csv",
        format="moloco_csv",
        user=user,
    )
    if not job.is_finished:
        import_job_run(job=job.pk)


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
