"""Each product's export is recognised from its header; a forced format is used as given; a header that fits
nothing is refused with the list of every format tried."""

from __future__ import annotations

import io

import pytest

from apps.analytics.formats import FORMATS, FormatNotRecognized, detect, read
from tests.analytics.formats_helpers import FIXTURES, read_all

GENERIC_MAPPING = {
    "report_date": "Day",
    "campaign_name": "Offer",
    "spend": "Spent",
    "conversions": "Leads",
    "country": "Geo",
}


@pytest.mark.parametrize(
    ("fixture", "code"),
    [
        ("moloco_dashboard.csv", "moloco_csv"),
        ("moloco_report_rows.json", "moloco_json"),
        ("appsflyer_partners_by_date.csv", "appsflyer_partners"),
        ("appsflyer_geo_by_date.csv", "appsflyer_geo"),
        ("appsflyer_raw_installs.csv", "appsflyer_raw_installs"),
        ("appsflyer_raw_events.csv", "appsflyer_raw_events"),
        ("adjust_report.csv", "adjust_csv"),
        ("keitaro_report.csv", "keitaro"),
        ("binom_report.tsv", "binom"),
        ("binom_cost.csv", "binom_cost"),
        ("voluum_report.csv", "voluum"),
    ],
)
def test_each_export_is_recognised_from_its_first_bytes(fixture, code):
    sample = (FIXTURES / fixture).read_bytes()[:4096]

    assert detect(sample).code == code
    reading, rows = read_all(fixture, source_currency="USD")
    assert reading.format.code == code
    assert rows, "a recognised fixture yields rows"
    assert reading.errors == []


def test_a_saved_mapping_reads_a_file_no_product_writes():
    reading, rows = read_all("generic_mapped.csv", mapping=GENERIC_MAPPING, source_currency="EUR")

    assert reading.format.code == "generic"
    assert [(row.campaign_name, str(row.spend), row.conversions, row.country) for row in rows] == [
        ("Casino A", "10.50", 3, "BR"),
        ("Casino A", "11.00", 4, "BR"),
    ]
    assert {row.currency for row in rows} == {"EUR"}


def test_without_its_mapping_the_generic_file_is_refused_naming_every_format_tried():
    with pytest.raises(FormatNotRecognized) as refused:
        read_all("generic_mapped.csv")

    message = str(refused.value)
    for fmt in FORMATS:
        assert fmt.code in message
    assert "generic" in message
    assert "Day, Offer, Spent, Leads, Geo" in message
    assert set(refused.value.tried) == {fmt.code for fmt in FORMATS} | {"generic"}


def test_an_unknown_header_is_refused_by_detect_too():
    with pytest.raises(FormatNotRecognized, match="moloco_csv"):
        detect(b"foo,bar,baz\n1,2,3\n")


def test_a_forced_format_is_used_even_where_detection_would_choose_another():
    # Keitaro's Russian export also has the columns the generic reader needs; forcing keeps it generic.
    mapping = {"report_date": "Дата", "campaign_name": "Кампания", "clicks": "Клики"}
    reading, rows = read_all("keitaro_report.csv", format="generic", mapping=mapping)

    assert reading.format.code == "generic"
    assert [(row.campaign_name, row.clicks, row.spend) for row in rows] == [
        ("Push RU", 1204, None),
        ("Push KZ", 90, None),
    ]


def test_a_forced_format_that_does_not_fit_says_what_the_header_lacks():
    with pytest.raises(FormatNotRecognized) as refused:
        read_all("voluum_report.csv", format="appsflyer_geo")

    assert refused.value.tried == ["appsflyer_geo"]
    assert "AppsFlyer geo by date" in str(refused.value)


def test_an_unknown_format_code_lists_the_codes():
    with pytest.raises(ValueError, match="keitaro"):
        read(io.BytesIO(b"a,b\n"), format="tiktok")


def test_raw_installs_and_raw_events_share_a_header_and_are_told_apart_by_their_rows():
    installs = (FIXTURES / "appsflyer_raw_installs.csv").read_bytes()
    events = (FIXTURES / "appsflyer_raw_events.csv").read_bytes()

    assert installs.splitlines()[0] == events.splitlines()[0]
    assert detect(installs).code == "appsflyer_raw_installs"
    assert detect(events).code == "appsflyer_raw_events"
