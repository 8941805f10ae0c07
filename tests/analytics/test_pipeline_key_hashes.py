"""A file whose rows share no natural key skips the upsert's grouping (services.imports.KeyHashes): the hashes
must see every shared key, whatever kind of batch carries each row, and the facts written must be the ones the
grouping writes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from apps.analytics.formats.rows import METRIC_ROW_FIELDS, FrameBatch, MetricColumns, MetricRow
from apps.analytics.models import MetricFact
from apps.analytics.services import import_rows
from apps.analytics.services.imports import KeyHashes
from tests.analytics.factories import TrafficSourceFactory, import_job, reading_of

DAY = date(2026, 5, 1)


def unique(*batches) -> bool:
    hashes = KeyHashes()
    for batch in batches:
        hashes.add(batch)
    return hashes.unique()


def frame_of(rows: list[MetricRow]) -> FrameBatch:
    names = ("campaign_id", "campaign_name", "report_date", "ad_group", "creative", "placement", "country", "os")
    columns = {name: [getattr(row, name) for row in rows] for name in (*names, "sub_id")}
    return FrameBatch(pl.DataFrame(columns))


def test_rows_with_distinct_keys_are_unique():
    rows = [MetricRow(2, DAY, "c1", "One", country="US"), MetricRow(3, DAY, "c1", "One", country="DE")]

    assert unique(rows)


@pytest.mark.parametrize(
    "second",
    [
        MetricRow(9, DAY, "c1", "Renamed", country="US"),  # the same campaign id under another name
        MetricRow(9, DAY, "c1", "One", country="US", ad_group=None),  # a missing cut is an empty one
        MetricRow(9, DAY, "c1", "One", country="US", clicks=7, spend=Decimal("2")),  # the metrics are no key
    ],
)
def test_a_shared_key_is_seen(second):
    first = MetricRow(2, DAY, "c1", "One", country="US", ad_group="")

    assert not unique([first, second])
    assert not unique([first], [second])  # in two batches


def test_a_campaign_named_without_an_id_is_not_the_campaign_of_that_id():
    assert unique([MetricRow(2, DAY, "", "c1"), MetricRow(3, DAY, "c1", "")])


def test_a_shared_key_is_seen_across_kinds_of_batch():
    rows = [MetricRow(2, DAY, "c1", "One", country="US", sub_id="s")]
    columns = MetricColumns({name: [getattr(row, name) for row in rows] for name in METRIC_ROW_FIELDS})

    assert not unique(frame_of(rows), rows)
    assert not unique(columns, frame_of(rows))
    assert unique(frame_of(rows), [MetricRow(3, DAY, "c1", "One", country="US", sub_id="t")])


@pytest.mark.django_db
def test_a_file_without_shared_keys_writes_the_facts_the_grouping_writes(organization):
    rows = [
        MetricRow(2, DAY, "c1", "One", country="US", clicks=3, spend=Decimal("1.10"), events={"purchase": 2}),
        MetricRow(3, DAY, "c1", "One", country="DE", clicks=None, spend=None),
        MetricRow(4, DAY, "", "Named", os="ios", impressions=10, revenue=Decimal("0.50")),
    ]
    # The same facts, the first one split over two lines: this file is grouped.
    split = [
        MetricRow(2, DAY, "c1", "One", country="US", clicks=1, spend=Decimal("1.00"), events={"purchase": 2}),
        MetricRow(3, DAY, "c1", "One", country="US", clicks=2, spend=Decimal("0.10")),
        MetricRow(4, DAY, "c1", "One", country="DE", clicks=None, spend=None),
        MetricRow(5, DAY, "", "Named", os="ios", impressions=10, revenue=Decimal("0.50")),
    ]
    assert unique(rows)
    assert not unique(split)
    single = TrafficSourceFactory(organization=organization, name="Single")
    grouped = TrafficSourceFactory(organization=organization, name="Grouped")

    import_rows(import_job(single), [rows], reading=reading_of(rows))
    import_rows(import_job(grouped), [split], reading=reading_of(split))

    def facts(source):
        return sorted(
            (
                f.campaign.external_id,
                f.campaign.name,
                f.country,
                f.os,
                f.clicks,
                f.impressions,
                f.spend,
                f.revenue,
                f.events,
                f.currency,
            )
            for f in MetricFact.objects.filter(source=source).select_related("campaign")
        )

    assert facts(single) == facts(grouped)
    assert len(facts(single)) == 3


def test_past_the_limit_the_hashes_are_let_go_and_the_file_is_grouped(monkeypatch):
    monkeypatch.setattr(KeyHashes, "LIMIT", 2)
    hashes = KeyHashes()
    hashes.add([MetricRow(2, DAY, "c1", "One", country="US"), MetricRow(3, DAY, "c1", "One", country="DE")])
    assert hashes.unique()

    hashes.add([MetricRow(4, DAY, "c1", "One", country="FR")])

    assert not hashes.unique()
    assert hashes._parts == []
