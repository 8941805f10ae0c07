import pytest

from apps.ledger.models import AccountType
from tests.ledger.factories import AccountFactory
from tests.ledger.tronscan_stubs import install_tronscan_stub


@pytest.fixture
def books(organization):
    """A small chart of accounts in RUB and USD for ``organization``."""

    class Books:
        cash = AccountFactory(organization=organization, code="1010", name="Cash", type=AccountType.ASSET)
        bank = AccountFactory(organization=organization, code="1020", name="Bank", type=AccountType.ASSET)
        usd = AccountFactory(organization=organization, code="1030", name="Bank USD", currency_id="USD")
        sales = AccountFactory(organization=organization, code="4000", name="Sales", type=AccountType.INCOME)
        rent = AccountFactory(organization=organization, code="5000", name="Rent", type=AccountType.EXPENSE)
        loan = AccountFactory(organization=organization, code="2000", name="Loan", type=AccountType.LIABILITY)

    Books.organization = organization
    return Books


@pytest.fixture
def tronscan(monkeypatch):
    """TronScan answered by a stub (``tronscan.queue(...)``, ``tronscan.requests``): no test reaches the network."""
    return install_tronscan_stub(monkeypatch)
