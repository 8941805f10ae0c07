"""A transfer's fee is what moving the money cost: never negative, so it can never add money to the source."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.ledger import services
from apps.ledger.models import AccountBalance, Transaction

pytestmark = pytest.mark.django_db


def test_a_negative_fee_is_refused_naming_the_fee_and_posts_nothing(books):
    with pytest.raises(ValidationError) as refused:
        services.transfer_post(
            organization=books.organization,
            user=None,
            date=date(2026, 4, 15),
            from_account=books.bank,
            to_account=books.cash,
            amount="100.00",
            fee="-5.00",
            fee_account=books.rent,
            idempotency_key="negative-fee",
        )

    assert list(refused.value.message_dict) == ["fee"]
    assert "-5.00" in refused.value.message_dict["fee"][0]
    assert not Transaction.objects.exists()


def test_a_positive_fee_is_booked_from_the_source(books):
    services.transfer_post(
        organization=books.organization,
        user=None,
        date=date(2026, 4, 15),
        from_account=books.bank,
        to_account=books.cash,
        amount="100.00",
        fee="5.00",
        fee_account=books.rent,
        idempotency_key="fee",
    )

    assert AccountBalance.objects.get(account=books.bank).balance == Decimal("-105.00")
    assert AccountBalance.objects.get(account=books.rent).balance == Decimal("5.00")


def test_the_api_answers_a_negative_fee_with_an_error_on_the_fee_field(books, member_of):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    user = member_of(books.organization, role=Role.BOOKKEEPER)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=user, family=uuid.uuid4())}")
    body = {
        "date": "2026-04-15",
        "from_account": books.bank.pk,
        "to_account": books.cash.pk,
        "amount": "100.00",
        "fee": "-5.00",
        "fee_account": books.rent.pk,
    }

    response = client.post("/api/v1/ledger/operations/transfer/", body, format="json", HTTP_IDEMPOTENCY_KEY="t-fee")

    assert response.status_code == 400, response.json()
    assert "fee" in response.json()["error"]["fields"]
    assert not Transaction.objects.exists()
