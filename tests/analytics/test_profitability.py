"""Profitability: spend by program, offer and campaign against the payouts the books show as approved and paid
in the period; the approved amounts agree with the ledger's affiliate income to the cent, currency by currency."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.analytics.models import Campaign, Offer, TrafficSource
from apps.analytics.profitability import profitability_report
from apps.analytics.services import import_rows, payout_approve, payout_create, payout_pay, payout_reverse
from apps.core.accounts.roles import Role
from apps.core.models import FxRate
from apps.ledger.models import TransactionEntry
from tests.analytics.factories import AffiliateProgramFactory, MetricRow, TrafficSourceFactory, import_job, reading_of
from tests.ledger.factories import AccountFactory

pytestmark = pytest.mark.django_db

MAY_1, MAY_31 = date(2026, 5, 1), date(2026, 5, 31)
EVIL = '=HYPERLINK("http://evil.example/","x")'


def spend_rows(*items):
    return [
        MetricRow(
            line=index + 2, report_date=day, campaign_id="", campaign_name=name, spend=Decimal(spend), currency="USD"
        )
        for index, (day, name, spend) in enumerate(items)
    ]


def payout(organization, program, amount, currency="USD", offer=None):
    return payout_create(
        organization=organization,
        program=program,
        offer=offer,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 4, 30),
        amount=Decimal(amount),
        currency=currency,
    )


@pytest.fixture
def books(organization):
    """Program "AdCombo" with offer "Dating" run by campaigns "Brand" and "Retarget"; one campaign of no offer."""
    organization.reporting_currency_id = "USD"
    organization.save()
    source = TrafficSourceFactory(organization=organization, name="Network")
    rows = spend_rows(
        (date(2026, 5, 2), "Brand", "100.10"),
        (date(2026, 5, 3), "Brand", "20.00"),
        (date(2026, 5, 3), "Retarget", "50.05"),
        (date(2026, 5, 4), EVIL, "7.00"),
        (date(2026, 4, 30), "Brand", "999.00"),  # before the period
    )
    # The import sums its days into the rollup, which the reports read.
    import_rows(import_job(source, force=True), [rows], reading=reading_of(rows))
    program = AffiliateProgramFactory(organization=organization, name="AdCombo")
    dating = Offer.objects.create(organization=organization, program=program, name="Dating")
    Campaign.objects.filter(organization=organization, name__in=["Brand", "Retarget"]).update(offer=dating)
    FxRate.objects.create(date=date(2026, 5, 1), base_id="EUR", quote_id="USD", rate=Decimal("1.1"), source="ecb")
    bank = AccountFactory(organization=organization, code="1030", name="Bank USD", currency_id="USD")

    approved_and_paid = payout_approve(
        payout=payout(organization, program, "300.00", offer=dating), date=date(2026, 5, 3)
    )
    payout_pay(payout=approved_and_paid, cash_account=bank, date=date(2026, 5, 10))
    reversed_in_period = payout_approve(payout=payout(organization, program, "40.00"), date=date(2026, 5, 4))
    payout_reverse(payout=reversed_in_period, date=date(2026, 5, 6))
    approved_before = payout_approve(payout=payout(organization, program, "70.00"), date=date(2026, 4, 28))
    payout_pay(payout=approved_before, cash_account=bank, date=date(2026, 5, 5))
    payout_approve(payout=payout(organization, program, "10.00", currency="EUR"), date=date(2026, 5, 2))
    payout_approve(payout=payout(organization, program, "5.00", offer=dating), date=date(2026, 6, 1))  # after
    return organization


def by_key(report):
    return {row.key.count("/") * "  " + row.label: row for row in report.rows}


def test_spend_and_payouts_form_a_tree_by_program_offer_and_campaign(books):
    report = profitability_report(organization=books, date_from=MAY_1, date_to=MAY_31)

    rows = by_key(report)
    assert list(rows) == ["AdCombo", "  Dating", "    Brand", "    Retarget", "  (the whole program)", "(no program)",
                          "  (no offer)", f"    {EVIL}"]  # fmt: skip
    dating, brand = rows["  Dating"], rows["    Brand"]
    assert (brand.spend, brand.approved, brand.profit) == (Decimal("120.10"), None, None)
    assert (dating.spend, dating.approved, dating.paid) == (Decimal("170.15"), Decimal("300.00"), Decimal("300.00"))
    assert dating.profit == Decimal("129.85")
    assert dating.roi == Decimal("76.32")  # 129.85 / 170.15 = 0.763150…
    whole = rows["  (the whole program)"]
    # 40 approved and reversed in May: 0; 70 approved in April, paid in May; 10 EUR at 1.1.
    assert (whole.spend, whole.approved, whole.paid) == (None, Decimal("11.00"), Decimal("70.00"))
    program = rows["AdCombo"]
    assert (program.spend, program.approved, program.paid) == (Decimal("170.15"), Decimal("311.00"), Decimal("370.00"))
    assert (report.totals.spend, report.totals.approved) == (Decimal("177.15"), Decimal("311.00"))
    assert report.totals.profit == Decimal("133.85")
    assert [(rate.base, rate.on) for rate in report.rates] == [("EUR", date(2026, 5, 2))]


def test_approved_payouts_agree_with_the_books_to_the_cent(books):
    report = profitability_report(organization=books, date_from=MAY_1, date_to=MAY_31)

    for currency in ("USD", "EUR"):
        income = TransactionEntry.objects.filter(
            account__organization=books,
            account__code=f"AFFILIATE-{currency}",
            date__range=(MAY_1, MAY_31),
        ).values_list("amount", flat=True)
        assert report.books[currency]["approved"] == -sum(income, Decimal(0))
    assert report.books == {
        "EUR": {"approved": Decimal("10.00"), "paid": Decimal(0)},
        "USD": {"approved": Decimal("300.00"), "paid": Decimal("370.00")},
    }


def test_a_period_without_anything_is_empty_and_its_kpis_none(books):
    report = profitability_report(organization=books, date_from=date(2026, 7, 1), date_to=date(2026, 7, 31))

    assert report.rows == []
    assert (report.totals.spend, report.totals.approved, report.totals.roi) == (None, None, None)
    assert report.totals.profit == Decimal(0)


@pytest.fixture
def api(books, member_of):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member_of(books, role=Role.VIEWER))
    return client


URL = "/api/v1/analytics/reports/profitability/"
PERIOD = {"date_from": "2026-05-01", "date_to": "2026-05-31"}


def test_the_api_answers_decimal_strings_and_the_books(api):
    response = api.get(URL, PERIOD)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totals"]["approved"] == "311.00"
    assert body["rows"][0] == {
        "level": "program", "key": body["rows"][0]["key"], "label": "AdCombo", "spend": "170.15",
        "approved": "311.00", "paid": "370.00", "profit": "140.85", "roi": "82.78",
    }  # fmt: skip
    assert body["books"]["USD"] == {"approved": "300.00", "paid": "370.00"}


def test_the_csv_keeps_numbers_numbers_and_formulas_text(api):
    response = api.get(URL, {**PERIOD, "format": "csv"})

    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["Level", "Name", "Spend", "Approved", "Paid", "Profit", "ROI, %"]
    assert lines[1] == ["Affiliate program", "AdCombo", "170.15", "311.00", "370.00", "140.85", "82.78"]
    assert ["Campaign", "'" + EVIL, "7.00", "—", "—", "—", "—"] in lines
    assert "Posted to the books in USD: approved 300.00, paid 370.00" in [line[0] for line in lines if line]


def test_spend_of_sources_of_different_kinds_is_taken_from_the_ad_network_and_said_to_be(api, books):
    before = api.get(URL, PERIOD).json()
    assert (before["source_kinds"], before["mixed_source_kinds"]) == (["ad_network"], False)
    tracker = TrafficSourceFactory(organization=books, name="Tracker", kind=TrafficSource.Kind.TRACKER)
    rows = spend_rows((date(2026, 5, 2), "Brand", "99.00"))
    import_rows(import_job(tracker, force=True), [rows], reading=reading_of(rows))

    after = api.get(URL, PERIOD).json()
    lines = list(csv.reader(io.StringIO(api.get(URL, {**PERIOD, "format": "csv"}).content.decode("utf-8-sig"))))

    assert (after["source_kinds"], after["mixed_source_kinds"]) == (["ad_network", "tracker"], True)
    assert after["totals"]["spend"] == "177.15"  # the ad network's: the tracker's 99.00 is its view of the same
    assert after["metric_kinds"] == {"spend": ["ad_network"]}
    notes = [line[0] for line in lines if line]
    assert (
        "The report adds up sources of different kinds (ad network, tracker). So that nothing is counted twice, "
        "each metric of a campaign's day is taken from one kind of source: spend from the ad networks. Where that "
        "kind has no value for the campaign's day, it is taken from another kind." in notes
    )


def test_another_organization_is_not_found(books, other_organization, member_of):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(member_of(other_organization))

    refused = client.get(URL, {**PERIOD, "organization": books.slug})
    own = client.get(URL, PERIOD)

    assert refused.status_code == 404
    assert own.status_code == 200
    assert own.json()["rows"] == []
