"""The books exported as a plain-text journal: beancount, an independent tool, loads it without a single
error and recomputes, from the postings alone, exactly the closing balances of our trial balance."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from decimal import Decimal

import pytest
from beancount import loader
from beancount.core import data
from django.core.management import CommandError, call_command
from django.utils import translation

from apps.core.models import FxRate
from apps.ledger import services
from apps.ledger.models import Account, AccountType
from apps.ledger.reports import trial_balance
from apps.ledger.reports.journal import account_component, account_names
from apps.ledger.services import Leg
from tests.ledger.factories import AccountFactory, CounterpartyFactory
from tests.ledger.test_reports import build_books

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Labels and messages are compared in English (the default language is Russian)."""
    with translation.override("en"):
        yield


D = Decimal
FAR = dt.date(2100, 1, 1)


@pytest.fixture
def books(organization):
    """The reports' story, plus what stresses names and strings: Cyrillic, punctuation, quotes, a sub-account,
    a crypto asset with 6 decimals, a reversal, and an account whose sanitized name clashes with another's."""
    story = build_books(organization)
    org = organization.pk
    kassa = AccountFactory(organization=organization, code="50.01", name="Касса «Главная»", type=AccountType.ASSET)
    petty = AccountFactory(organization=organization, code="50.01.1", name="мелкие расходы", type=AccountType.ASSET)
    usdt = AccountFactory(organization=organization, code="1050", name="USDT wallet", currency_id="USDT")
    usdt_income = AccountFactory(
        organization=organization, code="4050", name="Crypto sales", type=AccountType.INCOME, currency_id="USDT"
    )
    FxRate.objects.create(date=dt.date(2026, 1, 1), base_id="USDT", quote_id="RUB", rate=D("95.5"))
    clash = AccountFactory(organization=organization, code="50", name="01 Касса Главная", type=AccountType.ASSET)
    odd = CounterpartyFactory(organization=organization, name='ООО "Ромашка", Ltd; #1')
    services.transaction_post(
        organization=org,
        user=None,
        date=dt.date(2026, 3, 5),
        idempotency_key="kassa",
        description='Наличные "в кассу" \\ с переводом\nстроки; и точкой с запятой',
        entries=[
            Leg(kassa.pk, D("1234.56"), counterparty=odd.pk, memo="memo: with colon, comma"),
            Leg(petty.pk, D("0.44")),
            Leg(clash.pk, D("1")),
            Leg(story.bank.pk, D("-1236.00")),
        ],
    )
    # Books kept before a parent account was refused postings: the sub-account was put under an account that
    # already held entries. The export must still nest its name under the parent's.
    Account.objects.filter(pk=petty.pk).update(parent=kassa)
    services.income_post(
        organization=org,
        user=None,
        date=dt.date(2026, 3, 6),
        account=usdt,
        income_account=usdt_income,
        amount="12.345678",
        idempotency_key="usdt",
    )
    mistake = services.expense_post(
        organization=org,
        user=None,
        date=dt.date(2026, 3, 7),
        account=story.cash,
        expense_account=story.rent,
        amount="99.99",
        idempotency_key="mistake",
    )
    services.transaction_reverse(transaction=mistake, user=None, reason="typo")
    return story


def export(organization, fmt="beancount", *extra) -> str:
    out = io.StringIO()
    call_command("ledger_export", "--org", organization.slug, "--format", fmt, *extra, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def beancount_balances(text: str) -> tuple[dict[tuple[str, str], Decimal], list]:
    entries, errors, _options = loader.load_string(text)
    balances: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                balances[(posting.account, posting.units.currency)] += posting.units.number
    return dict(balances), errors


def test_beancount_recomputes_our_trial_balance_exactly(books):
    text = export(books.organization)

    balances, errors = beancount_balances(text)

    assert errors == []
    names = account_names(list(Account.objects.filter(organization=books.organization)))
    ours = {
        (names[line.account_id], line.currency): line.native_closing
        for line in trial_balance(organization=books.organization, date_to=FAR).lines
        if line.account_id is not None
    }
    assert {key: value for key, value in balances.items() if value} == {
        key: value for key, value in ours.items() if value
    }
    assert len(ours) >= 15
    assert (
        sum(1 for line in text.splitlines() if " open " in line)
        == Account.objects.filter(organization=books.organization).count()
    )


def test_the_journal_checks_itself_with_balance_assertions(books):
    text = export(books.organization)
    assertions = [line for line in text.splitlines() if " balance " in line]
    assert assertions

    # Change one asserted balance: beancount itself now refuses the books.
    tampered = re.sub(r"(balance Assets:1010-Cash\s+)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1), text)
    assert tampered != text
    _balances, errors = beancount_balances(tampered)
    assert [type(error).__name__ for error in errors] == ["BalanceError"]
    assert " balance " not in export(books.organization, "beancount", "--no-assertions")


def test_names_strings_and_metadata_survive_the_round_trip(books):
    entries, errors, options = loader.load_string(export(books.organization))

    assert errors == []
    assert options["title"] == books.organization.name
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    kassa = next(t for t in transactions if "кассу" in t.narration)
    assert kassa.narration == 'Наличные "в кассу" \\ с переводом строки; и точкой с запятой'
    accounts = {p.account for p in kassa.postings}
    assert "Assets:50-01-Касса-Главная" in accounts
    assert "Assets:50-01-Касса-Главная:50-01-1-мелкие-расходы" in accounts  # the sub-account
    assert any(name.startswith("Assets:50-01-Касса-Главная-") for name in accounts)  # the clash, made unique
    leg = next(p for p in kassa.postings if p.units.number == D("1234.56"))
    assert leg.meta["counterparty"] == 'ООО "Ромашка", Ltd; #1'
    assert leg.meta["memo"] == "memo: with colon, comma"
    assert kassa.meta["kontora-kind"] == "complex"
    usdt = next(t for t in transactions if any(p.units.currency == "USDT" for p in t.postings))
    assert {p.units.number for p in usdt.postings} == {D("12.345678"), D("-12.345678")}
    # The reversal and its original are both there, and cancel out.
    assert sum(1 for t in transactions if t.meta["kontora-kind"] == "reversal") == 1


def test_the_exchange_balances_per_currency_without_prices(books):
    entries, errors, _options = loader.load_string(export(books.organization))

    exchange = next(e for e in entries if isinstance(e, data.Transaction) and e.narration == "Buy dollars")
    by_currency = defaultdict(Decimal)
    for posting in exchange.postings:
        by_currency[posting.units.currency] += posting.units.number
    assert dict(by_currency) == {"RUB": 0, "USD": 0}
    assert errors == []


def test_hledger_journal_balances_per_transaction_and_asserts_the_stored_balances(books):
    """hledger is not installed here; this reads the journal the way hledger's grammar does (a transaction is a
    dated line and its indented postings, an account and amount separated by two spaces, comments after ;)."""
    text = export(books.organization, "hledger")

    declared = {line.split()[1] for line in text.splitlines() if line.startswith("account ")}
    balances: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    asserted: dict[tuple[str, str], Decimal] = {}
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith(";")]
        if not lines or not re.match(r"\d{4}-\d\d-\d\d ", lines[0]):
            continue
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for line in lines[1:]:
            posting = line.split(";")[0].strip()
            account, amount = re.split(r"\s{2,}", posting)
            number, currency, *assertion = amount.split()
            assert account in declared
            balances[(account, currency)] += D(number)
            sums[currency] += D(number)
            if assertion:
                asserted[(account, currency)] = D(assertion[1])
        assert all(total == 0 for total in sums.values()), lines[0]
    assert asserted == {key: value for key, value in balances.items() if key in asserted}
    assert {key for key, value in balances.items() if value} <= set(asserted)
    assert "decimal-mark ." in text
    # Tag values cannot hold a comma or a colon in hledger; the description cannot hold a semicolon.
    kassa = next(line for line in text.splitlines() if "кассу" in line)
    assert kassa.split("  ; ")[0].count(";") == 0
    assert 'counterparty:ООО "Ромашка"  Ltd  #1' in text


def test_account_components_are_valid_for_beancount():
    assert account_component("4000 sales & marketing") == "4000-sales-marketing"
    assert account_component("доходы") == "Доходы"
    assert account_component("_x_") == "X"
    assert account_component("日本 売上") == "X日本-売上"
    assert account_component("2² ½") == "2"
    assert account_component("!!!") == ""


def test_the_command_writes_a_file_and_refuses_an_unknown_organization(books, tmp_path):
    target = tmp_path / "books.beancount"
    errors = io.StringIO()

    call_command("ledger_export", "--org", books.organization.slug, "--output", str(target), stderr=errors)

    _balances, problems = beancount_balances(target.read_text(encoding="utf-8"))
    assert problems == []
    assert "Exported 11 transactions" in errors.getvalue()
    with pytest.raises(CommandError, match="No organization"):
        call_command("ledger_export", "--org", "nobody", stdout=io.StringIO())


def test_empty_books_export_cleanly(organization):
    AccountFactory(organization=organization, code="1000", name="Cash")

    _balances, errors = beancount_balances(export(organization))

    assert errors == []
