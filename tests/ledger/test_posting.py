"""The posting services: the seed's operations, idempotency, reversals, closed periods, clear errors."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.core.accounts.roles import Role
from apps.core.models import FxRate
from apps.ledger import services
from apps.ledger.models import AccountBalance, Transaction, TransactionEntry
from apps.ledger.services import Leg
from tests.helpers import assert_nothing_written
from tests.ledger.factories import AccountFactory, CategoryFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 4, 15)


def balance(account):
    return AccountBalance.objects.get(account=account).balance


def test_income_debits_cash_and_credits_income(books):
    services.income_post(
        organization=books.organization,
        user=None,
        date=DAY,
        account=books.cash,
        income_account=books.sales,
        amount="1500.00",
        idempotency_key="inv-1",
    )

    assert balance(books.cash) == Decimal("1500.00")
    assert balance(books.sales) == Decimal("-1500.00")


def test_expense_with_tags_puts_the_tags_on_both_legs(books):
    rent = CategoryFactory(organization=books.organization, name="Rent")
    posted = services.expense_post(
        organization=books.organization,
        user=None,
        date=DAY,
        account=books.bank,
        expense_account=books.rent,
        amount=Decimal("30000"),
        category=rent,
        idempotency_key="rent-april",
    )

    assert set(TransactionEntry.objects.filter(transaction_id=posted.pk).values_list("category", flat=True)) == {
        rent.pk
    }
    assert balance(books.bank) == Decimal("-30000")


def test_repeating_an_idempotency_key_returns_the_first_transaction_and_posts_nothing(books):
    first = services.income_post(
        organization=books.organization,
        user=None,
        date=DAY,
        account=books.cash,
        income_account=books.sales,
        amount="10",
        idempotency_key="same",
    )
    again = services.income_post(
        organization=books.organization,
        user=None,
        date=DAY,
        account=books.cash,
        income_account=books.sales,
        amount="10",
        idempotency_key="same",
    )

    assert again.pk == first.pk
    assert Transaction.objects.count() == 1
    assert balance(books.cash) == Decimal("10")


def test_a_same_currency_transfer_moves_money_between_two_accounts(books):
    services.transfer_post(
        organization=books.organization,
        user=None,
        date=DAY,
        from_account=books.bank,
        to_account=books.cash,
        amount="250.50",
        idempotency_key="t1",
    )

    assert balance(books.bank) == Decimal("-250.50")
    assert balance(books.cash) == Decimal("250.50")


def test_a_cross_currency_transfer_balances_per_currency_and_records_its_rate(books):
    posted = services.transfer_post(
        organization=books.organization,
        user=None,
        date=DAY,
        from_account=books.bank,
        to_account=books.usd,
        amount="9150.00",
        to_amount="100.00",
        idempotency_key="fx",
    )

    sums = {}
    for entry in TransactionEntry.objects.filter(transaction_id=posted.pk):
        sums[entry.currency_id] = sums.get(entry.currency_id, 0) + entry.amount
    assert sums == {"RUB": 0, "USD": 0}
    assert balance(books.usd) == Decimal("100.00")
    rate = FxRate.objects.get(pk=posted.fx_rate_id)
    assert (rate.base_id, rate.quote_id, rate.source) == ("RUB", "USD", FxRate.Source.DEAL)
    assert rate.rate == Decimal("0.010928961749")
    assert posted.kind == Transaction.Kind.EXCHANGE


def test_a_rate_converts_with_half_even_rounding_to_the_target_precision(books):
    services.transfer_post(
        organization=books.organization,
        user=None,
        date=DAY,
        from_account=books.usd,
        to_account=books.bank,
        amount="10.00",
        rate="91.4725",
        idempotency_key="fx2",
    )

    assert balance(books.bank) == Decimal("914.72")  # 914.725 rounds half-even to .72


def test_a_reversal_negates_every_leg_and_can_happen_once(books, member_of):
    bookkeeper = member_of(books.organization, role=Role.BOOKKEEPER)
    posted = services.income_post(
        organization=books.organization,
        user=bookkeeper,
        date=DAY,
        account=books.cash,
        income_account=books.sales,
        amount="77.70",
        idempotency_key="to-reverse",
    )

    reversal = services.transaction_reverse(transaction=posted, user=bookkeeper, reason="wrong customer")

    assert reversal.reverses_id == posted.pk
    assert balance(books.cash) == 0
    assert balance(books.sales) == 0
    with assert_nothing_written(), pytest.raises(ValidationError, match="already been reversed"):
        services.transaction_reverse(transaction=Transaction.objects.get(pk=posted.pk), user=bookkeeper)


def test_nothing_is_posted_or_reversed_inside_a_closed_period(books, member_of):
    bookkeeper = member_of(books.organization, role=Role.BOOKKEEPER)
    posted = services.income_post(
        organization=books.organization,
        user=bookkeeper,
        date=date(2026, 3, 31),
        account=books.cash,
        income_account=books.sales,
        amount="5",
        idempotency_key="march",
    )
    services.period_lock(organization=books.organization, user=bookkeeper, locked_through=date(2026, 3, 31))

    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        services.income_post(
            organization=books.organization,
            user=bookkeeper,
            date=date(2026, 3, 15),
            account=books.cash,
            income_account=books.sales,
            amount="5",
            idempotency_key="late",
        )
    assert refused.value.message_dict == {
        "date": ["The books are closed through 03/31/2026; 03/15/2026 is inside the closed period."]
    }
    with assert_nothing_written(), pytest.raises(ValidationError, match="closed period"):
        services.transaction_reverse(transaction=posted, user=bookkeeper)
    # A reversal dated in the open period is the way to correct a closed month.
    services.transaction_reverse(transaction=posted, user=bookkeeper, date=date(2026, 4, 1))


def test_reopening_a_closed_period_needs_the_power_to_manage_the_organization(books, member_of):
    bookkeeper = member_of(books.organization, role=Role.BOOKKEEPER)
    owner = member_of(books.organization, role=Role.OWNER)
    services.period_lock(organization=books.organization, user=bookkeeper, locked_through=date(2026, 3, 31))

    with assert_nothing_written(), pytest.raises(PermissionDenied):
        services.period_lock(organization=books.organization, user=bookkeeper, locked_through=date(2026, 2, 28))
    services.period_lock(organization=books.organization, user=owner, locked_through=date(2026, 2, 28))


@pytest.mark.parametrize(
    ("entries", "field", "message"),
    [
        (
            [{"account": "A", "amount": "10"}, {"account": "S", "amount": "-9.99"}],
            "entries",
            "The entries do not balance in RUB: debits and credits differ by 0.01.",
        ),
        (
            [{"account": "A", "amount": "10.001"}, {"account": "S", "amount": "-10.001"}],
            "entries.0.amount",
            "10.001 has more decimals than RUB allows (2).",
        ),
        ([{"account": "A", "amount": "10"}], "entries", "A transaction needs at least two entries."),
        (
            [{"account": "A", "amount": "0"}, {"account": "S", "amount": "0"}],
            "entries.0.amount",
            "The amount must not be zero.",
        ),
        (
            [{"account": "A", "amount": 1.5}, {"account": "S", "amount": "-1.5"}],
            "entries.0.amount",
            "Send amounts as decimal strings, not floating-point numbers.",
        ),
        (
            [{"account": "A", "amount": "ten"}, {"account": "S", "amount": "-10"}],
            "entries.0.amount",
            "“ten” is not a decimal number such as 1500 or -12.50.",
        ),
        (
            [{"account": "A", "amount": "5"}, {"account": 999999, "amount": "-5"}],
            "entries.1.account",
            "Account 999999 does not exist in this organization.",
        ),
    ],
)
def test_bad_postings_name_the_field_and_write_nothing(books, entries, field, message):
    refs = {"A": books.cash.pk, "S": books.sales.pk}
    entries = [{**e, "account": refs.get(e["account"], e["account"])} for e in entries]

    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        services.transaction_post(
            organization=books.organization, user=None, date=DAY, entries=entries, idempotency_key="bad"
        )

    assert refused.value.message_dict == {field: [message]}
    assert not Transaction.objects.exists()
    assert balance(books.cash) == 0


def test_an_account_of_another_organization_is_unknown(books, other_organization):
    foreign = AccountFactory(organization=other_organization)

    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        services.transaction_post(
            organization=books.organization,
            user=None,
            date=DAY,
            idempotency_key="x",
            entries=[Leg(books.cash.pk, Decimal("1")), Leg(foreign.pk, Decimal("-1"))],
        )

    assert "entries.1.account" in refused.value.message_dict
    assert balance(foreign) == 0


def test_a_viewer_cannot_post(books, member_of):
    viewer = member_of(books.organization, role=Role.VIEWER)

    with assert_nothing_written(), pytest.raises(PermissionDenied):
        services.income_post(
            organization=books.organization,
            user=viewer,
            date=DAY,
            account=books.cash,
            income_account=books.sales,
            amount="1",
            idempotency_key="v",
        )


def test_a_closed_account_refuses_postings(books):
    books.rent.is_active = False
    books.rent.save()

    with assert_nothing_written(), pytest.raises(ValidationError, match="is closed"):
        services.expense_post(
            organization=books.organization,
            user=None,
            date=DAY,
            account=books.cash,
            expense_account=books.rent,
            amount="1",
            idempotency_key="c",
        )


def test_repeating_a_cross_currency_transfer_records_one_rate(books):
    for _ in range(2):
        services.transfer_post(
            organization=books.organization,
            user=None,
            date=DAY,
            from_account=books.bank,
            to_account=books.usd,
            amount="9150.00",
            to_amount="100.00",
            idempotency_key="fx-again",
        )

    assert FxRate.objects.filter(organization=books.organization, source=FxRate.Source.DEAL).count() == 1
    assert Transaction.objects.count() == 1


@pytest.mark.parametrize("kind", [Transaction.Kind.INVOICE, Transaction.Kind.PAYMENT])
def test_a_documents_posting_is_reversed_through_its_document_only(books, kind):
    posted = services.transaction_post(
        organization=books.organization,
        user=None,
        date=DAY,
        kind=kind,
        idempotency_key=f"doc-{kind}",
        entries=[Leg(books.cash.pk, Decimal("5")), Leg(books.sales.pk, Decimal("-5"))],
    )

    with assert_nothing_written(), pytest.raises(ValidationError, match="instead: this posting belongs to it"):
        services.transaction_reverse(transaction=posted, user=None)
    assert not Transaction.objects.filter(reverses=posted).exists()


def test_whether_a_transaction_can_be_reversed_is_one_rule(books):
    def post(kind, key):
        return services.transaction_post(
            organization=books.organization,
            user=None,
            date=DAY,
            kind=kind,
            idempotency_key=key,
            entries=[Leg(books.cash.pk, Decimal("5")), Leg(books.sales.pk, Decimal("-5"))],
        )

    plain, invoice = post(Transaction.Kind.COMPLEX, "plain"), post(Transaction.Kind.INVOICE, "doc")
    assert services.reversal_refusal(plain) is None
    reversal = services.transaction_reverse(transaction=plain, user=None)

    codes = {
        name: refusal.code if refusal else None
        for name, refusal in {
            "reversed": services.reversal_refusal(plain),
            "reversal": services.reversal_refusal(reversal),
            "document": services.reversal_refusal(invoice),
            "by its document": services.reversal_refusal(invoice, for_document=True),
        }.items()
    }
    assert codes == {
        "reversed": "already_reversed",
        "reversal": "reversal",
        "document": "document_posting",
        "by its document": None,
    }


def test_the_kinds_posted_by_hand_leave_out_what_only_a_service_posts():
    assert {kind for kind, _label in services.POSTABLE_KINDS} == {"complex", "income", "expense", "transfer", "opening"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("inside_a_transaction", [False, True])
def test_a_posting_that_does_not_balance_is_refused_alone_or_inside_a_transaction(books, inside_a_transaction):
    # Alone, the posting is its own database transaction and is verified once, at its commit; inside a caller's
    # transaction it is checked at once, so that the caller's transaction survives the refusal.
    entries = [{"account": books.cash.pk, "amount": "10"}, {"account": books.sales.pk, "amount": "-9.99"}]

    def post():
        services.transaction_post(
            organization=books.organization, user=None, date=DAY, entries=entries, idempotency_key="uneven"
        )

    def post_inside_a_transaction():
        with transaction.atomic():
            try:
                post()
            finally:
                # The refusal spoiled nothing: the caller's transaction can still read.
                assert not Transaction.objects.exists()

    with pytest.raises(ValidationError) as refused:
        (post_inside_a_transaction if inside_a_transaction else post)()

    assert refused.value.message_dict == {
        "entries": ["The entries do not balance in RUB: debits and credits differ by 0.01."]
    }
    assert not Transaction.objects.exists()
    assert not TransactionEntry.objects.exists()
    assert balance(books.cash) == 0
