"""Public exchange rates from the Central Bank of Russia: reading its daily XML, storing the rates of the
currencies Kontora knows (idempotently), the beat task and its schedule, and the ``fx_fetch`` command.

The CBR is stubbed at the HTTP transport with its recorded answer (tests/fixtures/cbr/, windows-1251)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import httpx
import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import translation
from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

from apps.core.models import AuditLog, Currency, FxRate
from apps.core.money.fx import (
    FxRatesNotConfigured,
    FxRatesUnavailable,
    fx_rates_fetch,
    parse_cbr_daily,
)
from apps.core.operations import beat
from apps.core.operations.schedules import FX_FETCH, FX_TASK_NAME
from apps.core.tasks import FX_RATES_FETCH_TASK, FX_RETRY_LIMIT, fx_rates_fetch_task
from config.celery import app as celery_app
from tests.core.fx_stubs import DAILY_2026_11_14, ERROR_IN_PARAMETERS, install_cbr_stub, recorded, xml_response

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages are checked in English (the default language is Russian)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


SATURDAY = date(2026, 11, 14)
SUNDAY = date(2026, 11, 15)


@pytest.fixture
def cbr(monkeypatch):
    return install_cbr_stub(monkeypatch)


def public_rates() -> dict[str, Decimal]:
    return {
        row.base_id: row.rate
        for row in FxRate.objects.filter(organization__isnull=True, source="cbr", quote_id="RUB", date=SATURDAY)
    }


@pytest.fixture
def yen_and_tenge(db):
    """Currencies the CBR quotes per 100 units, known to Kontora for these tests."""
    Currency.objects.create(code="JPY", name="Japanese yen", precision=0)
    Currency.objects.create(code="KZT", name="Kazakh tenge", precision=2)


# --- reading the recorded answer --------------------------------------------------------------------------


def test_the_recorded_answer_reads_as_decimal_rates_per_unit():
    daily = parse_cbr_daily(recorded(DAILY_2026_11_14))

    assert daily.date == SATURDAY
    rates = {rate.code: rate for rate in daily.rates}
    assert len(rates) == 33
    assert rates["USD"].nominal == 1
    assert rates["USD"].per_unit == Decimal("81.0123")
    assert rates["EUR"].per_unit == Decimal("94.3120")
    # "100 yen cost 52,4418 roubles" → one yen costs 0.524418; per 10 000 dong → exact, never a float.
    assert (rates["JPY"].nominal, rates["JPY"].value, rates["JPY"].per_unit) == (
        100,
        Decimal("52.4418"),
        Decimal("0.524418"),
    )
    assert rates["VND"].per_unit == Decimal("0.00307436")
    assert all(isinstance(rate.per_unit, Decimal) for rate in rates.values())


def test_an_answer_without_rates_says_what_the_bank_answered():
    with pytest.raises(FxRatesUnavailable, match="Error in parameters"):
        parse_cbr_daily(recorded(ERROR_IN_PARAMETERS))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><body>Service Unavailable</body></html>", "not a rates document"),
        (b"\x00\x01 garbage", "not readable XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><ValCurs Date="14.11.2026"></ValCurs>',
            "DTD",
        ),
        (
            b'<ValCurs Date="14.11.2026"><Valute><CharCode>USD</CharCode><Nominal>1</Nominal>'
            b"<Value>n/a</Value></Valute></ValCurs>",
            "unreadable value",
        ),
    ],
)
def test_an_unusable_answer_is_refused_with_the_reason(content, message):
    with pytest.raises(FxRatesUnavailable, match=message):
        parse_cbr_daily(content)


# --- storing the public rates -----------------------------------------------------------------------------


def test_the_rates_of_known_currencies_are_stored_as_public_cbr_rates(cbr, yen_and_tenge):
    result = fx_rates_fetch(date=SATURDAY)

    assert cbr.dates_asked == ["14/11/2026"]
    assert str(cbr.requests[0].url).startswith("https://www.cbr.ru/scripts/XML_daily.asp?")
    assert public_rates() == {
        "USD": Decimal("81.0123"),
        "EUR": Decimal("94.3120"),
        "JPY": Decimal("0.524418"),
        "KZT": Decimal("0.154621"),
    }
    assert sorted(result.created) == ["EUR", "JPY", "KZT", "USD"]
    assert result.unknown == 29  # listed by the CBR, not in Kontora's Currency table: not stored
    assert not FxRate.objects.exclude(quote_id="RUB").exists()
    assert AuditLog.objects.filter(action="core.fx_rates.fetch", organization__isnull=True).count() == 1


def test_asked_for_a_sunday_the_saturday_fixing_is_stored_once_under_its_own_date(cbr):
    fx_rates_fetch(date=SATURDAY)
    result = fx_rates_fetch(date=SUNDAY)

    assert cbr.dates_asked == ["14/11/2026", "15/11/2026"]
    assert (result.requested, result.date) == (SUNDAY, SATURDAY)
    assert result.created == []
    assert sorted(result.unchanged) == ["EUR", "USD"]
    assert FxRate.objects.filter(source="cbr").count() == 2
    assert not FxRate.objects.filter(date=SUNDAY).exists()


def test_a_later_different_figure_for_a_stored_date_keeps_the_stored_rate(cbr, caplog):
    fx_rates_fetch(date=SATURDAY)
    corrected = recorded(DAILY_2026_11_14).replace(b"<Value>81,0123</Value>", b"<Value>81,5000</Value>")
    cbr.queue(httpx.Response(200, content=corrected))

    result = fx_rates_fetch(date=SATURDAY)

    assert result.differing == ["USD"]
    assert public_rates()["USD"] == Decimal("81.0123")  # it may already have been used for a conversion
    assert "USD/RUB 81.5000" in caplog.text


def test_fetching_can_be_turned_off(cbr, monkeypatch):
    monkeypatch.setenv("FX_RATES_SOURCE", "none")

    with pytest.raises(FxRatesNotConfigured, match=r"turned off \(FX_RATES_SOURCE=none\)"):
        fx_rates_fetch(date=SATURDAY)
    assert cbr.requests == []


def test_an_unknown_source_is_named(cbr, monkeypatch):
    monkeypatch.setenv("FX_RATES_SOURCE", "ecb")

    with pytest.raises(FxRatesNotConfigured, match="FX_RATES_SOURCE=ecb is not a source Kontora knows"):
        fx_rates_fetch(date=SATURDAY)
    assert cbr.requests == []


def test_the_address_can_point_to_a_mirror(cbr, monkeypatch):
    monkeypatch.setenv("FX_RATES_URL", "https://cbr-mirror.example.com/daily.xml")

    fx_rates_fetch(date=SATURDAY)

    assert cbr.requests[0].url.host == "cbr-mirror.example.com"
    assert cbr.requests[0].url.path == "/daily.xml"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.ConnectError("Name or service not known"), "could not be fetched from .*: ConnectError"),
        (httpx.ReadTimeout("timed out"), "could not be fetched from .*: ReadTimeout"),
        (httpx.Response(503, text="Service Temporarily Unavailable"), "answered HTTP 503"),
        (xml_response(ERROR_IN_PARAMETERS), "Error in parameters"),
    ],
)
def test_an_unreachable_or_refusing_source_stores_nothing_and_says_why(cbr, answer, message):
    cbr.queue(answer)

    with pytest.raises(FxRatesUnavailable, match=message):
        fx_rates_fetch(date=SATURDAY)
    assert not FxRate.objects.exists()


def test_the_database_keeps_one_manual_rate_per_organization_date_and_pair(organization):
    FxRate.objects.create(organization=organization, date=SATURDAY, base_id="USD", quote_id="RUB", rate=80)
    # Exchanges may record several rates a day; a second one entered by hand is refused by the database.
    FxRate.objects.create(
        organization=organization, date=SATURDAY, base_id="USD", quote_id="RUB", rate=80, source="deal"
    )
    FxRate.objects.create(
        organization=organization, date=SATURDAY, base_id="USD", quote_id="RUB", rate=81, source="deal"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        FxRate.objects.create(organization=organization, date=SATURDAY, base_id="USD", quote_id="RUB", rate=82)


# --- the beat task ----------------------------------------------------------------------------------------


def test_the_task_stores_the_rates_of_the_date_it_is_given(cbr):
    result = fx_rates_fetch_task.apply(kwargs={"date": "2026-11-14"}).get()

    assert result["created"] == ["EUR", "USD"]
    assert public_rates() == {"USD": Decimal("81.0123"), "EUR": Decimal("94.3120")}
    assert fx_rates_fetch_task.apply(kwargs={"date": "2026-11-14"}).get()["unchanged"] == ["EUR", "USD"]
    assert FxRate.objects.count() == 2


def test_the_task_fetches_moscows_today_by_default(cbr, time_machine):
    # 22:30 UTC on the 13th is already 01:30 on the 14th in Moscow.
    time_machine.move_to("2026-11-13T22:30:00Z", tick=False)

    fx_rates_fetch_task.apply().get()

    assert cbr.dates_asked == ["14/11/2026"]


def test_the_task_logs_and_stops_when_fetching_is_turned_off(cbr, monkeypatch, caplog):
    monkeypatch.setenv("FX_RATES_SOURCE", "none")

    result = fx_rates_fetch_task.apply(kwargs={"date": "2026-11-14"})

    assert result.successful()
    assert "FX_RATES_SOURCE=none" in result.get()["skipped"]
    assert "turned off" in caplog.text
    assert cbr.requests == []


def test_the_task_retries_an_unreachable_source_then_gives_up_storing_nothing(cbr, caplog):
    cbr.queue(*[httpx.ConnectError("connection refused") for _ in range(FX_RETRY_LIMIT + 1)])

    result = fx_rates_fetch_task.apply(kwargs={"date": "2026-11-14"})

    assert result.failed()
    assert isinstance(result.result, FxRatesUnavailable)
    assert cbr.dates_asked == ["14/11/2026"] * (FX_RETRY_LIMIT + 1)  # each retry asks for the same day
    assert f"attempt {FX_RETRY_LIMIT + 1} of {FX_RETRY_LIMIT + 1}" in caplog.text
    assert not FxRate.objects.exists()


def test_the_task_stores_the_rates_once_the_source_is_back(cbr):
    cbr.queue(httpx.Response(502), httpx.ConnectError("connection reset"))

    result = fx_rates_fetch_task.apply(kwargs={"date": "2026-11-14"})

    assert result.successful()
    assert len(cbr.requests) == 3
    assert public_rates() == {"USD": Decimal("81.0123"), "EUR": Decimal("94.3120")}


def test_the_retry_waits_longer_each_time():
    from apps.core.tasks import fx_retry_delay

    assert [fx_retry_delay(n) for n in range(FX_RETRY_LIMIT)] == [300, 600, 1200, 2400, 3600, 3600, 3600, 3600]


# --- the schedule in the database -------------------------------------------------------------------------


def test_the_migration_scheduled_the_fetch_daily_at_1230_moscow_time():
    task = PeriodicTask.objects.select_related("crontab").get(name=FX_TASK_NAME)

    assert task.task == FX_RATES_FETCH_TASK
    assert task.enabled
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year, crontab.day_of_week) == (
        "30",
        "9",
        "*",
        "*",
        "*",
    )
    assert str(crontab.timezone) == "UTC"  # 09:30 UTC is 12:30 in Moscow, which keeps no summer time
    celery_app.loader.import_default_modules()
    assert FX_RATES_FETCH_TASK in celery_app.tasks


def test_the_schedule_migration_is_idempotent_and_reversible():
    crontabs_before = CrontabSchedule.objects.count()

    beat.install(django_apps, None, specs=(FX_FETCH,))
    assert PeriodicTask.objects.filter(name=FX_TASK_NAME).count() == 1
    assert CrontabSchedule.objects.count() == crontabs_before

    PeriodicTask.objects.filter(name=FX_TASK_NAME).update(enabled=False, task="renamed.elsewhere")
    beat.install(django_apps, None, specs=(FX_FETCH,))
    task = PeriodicTask.objects.get(name=FX_TASK_NAME)
    assert (task.enabled, task.task) == (True, FX_RATES_FETCH_TASK)

    changed_before = PeriodicTasks.objects.get(ident=1).last_update
    beat.uninstall(django_apps, None, specs=(FX_FETCH,))
    assert not PeriodicTask.objects.filter(name=FX_TASK_NAME).exists()
    assert PeriodicTasks.objects.get(ident=1).last_update > changed_before


# --- the command ------------------------------------------------------------------------------------------


def test_the_command_fetches_a_given_date(cbr):
    out = StringIO()

    call_command("fx_fetch", "--date", "2026-11-15", stdout=out)

    assert cbr.dates_asked == ["15/11/2026"]
    text = out.getvalue()
    assert "rates for 2026-11-14 (asked for 2026-11-15" in text
    assert "Stored: EUR, USD." in text
    assert "2 rates stored." in text
    assert len(public_rates()) == 2


def test_the_command_refuses_a_bad_date(cbr):
    with pytest.raises(CommandError, match="--date 15.11.2026 is not a date"):
        call_command("fx_fetch", "--date", "15.11.2026")
    assert cbr.requests == []


def test_the_command_says_why_nothing_was_fetched(cbr, monkeypatch):
    cbr.queue(httpx.Response(503))
    with pytest.raises(CommandError, match="answered HTTP 503"):
        call_command("fx_fetch", "--date", "2026-11-14")

    monkeypatch.setenv("FX_RATES_SOURCE", "none")
    with pytest.raises(CommandError, match="turned off"):
        call_command("fx_fetch")
