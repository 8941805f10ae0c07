"""/api/v1/fx-rates/: public rates and the organization's own, filters, entering own rates, and ``resolve``."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from apps.core.accounts import tokens
from apps.core.accounts.roles import Role
from apps.core.models import AuditLog, FxRate

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY = date(2026, 11, 16), date(2026, 11, 17)
URL = "/api/v1/fx-rates/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def as_user(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token_issue(user=user, family=uuid.uuid4())}")
    return client


def rate(base, quote, value, on, organization=None, source=None) -> FxRate:
    return FxRate.objects.create(
        organization=organization,
        date=on,
        base_id=base,
        quote_id=quote,
        rate=Decimal(value),
        source=source or ("cbr" if organization is None else "manual"),
    )


@pytest.fixture
def rates(organization, other_organization):
    return {
        "public_usd": rate("USD", "RUB", "81.0123", TUESDAY),
        "public_eur": rate("EUR", "RUB", "94.3120", MONDAY),
        "own_usd": rate("USD", "RUB", "80", TUESDAY, organization=organization),
        "theirs": rate("USD", "RUB", "79", TUESDAY, organization=other_organization),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def test_members_list_public_rates_and_their_own(organization, member_of, rates):
    client = as_user(member_of(organization, role=Role.VIEWER))

    response = client.get(URL)

    assert ids(response) == {rates["public_usd"].pk, rates["public_eur"].pk, rates["own_usd"].pk}
    item = next(i for i in response.json()["results"] if i["id"] == rates["own_usd"].pk)
    assert item == {
        "id": rates["own_usd"].pk,
        "organization": organization.slug,
        "date": "2026-11-17",
        "base": "USD",
        "quote": "RUB",
        "rate": "80.000000000000",
        "source": "manual",
        "created_at": item["created_at"],
    }
    public = next(i for i in response.json()["results"] if i["id"] == rates["public_usd"].pk)
    assert public["organization"] is None


def test_rates_filter_by_pair_source_date_and_shared(organization, member_of, rates):
    client = as_user(member_of(organization, role=Role.VIEWER))

    assert ids(client.get(URL, {"pair": "eur/rub"})) == {rates["public_eur"].pk}
    assert ids(client.get(URL, {"base": "USD", "source": "manual"})) == {rates["own_usd"].pk}
    assert ids(client.get(URL, {"date_before": "2026-11-16"})) == {rates["public_eur"].pk}
    assert ids(client.get(URL, {"public": "true"})) == {rates["public_usd"].pk, rates["public_eur"].pk}
    assert ids(client.get(URL, {"public": "false"})) == {rates["own_usd"].pk}
    assert ids(client.get(URL, {"organization": organization.slug})) == {rates["own_usd"].pk}


def test_the_list_runs_a_fixed_number_of_queries(organization, member_of, rates):
    client = as_user(member_of(organization, role=Role.VIEWER))
    client.get(URL)  # warm up the per-request caches of the authentication

    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for day in range(1, 15):
        rate("USD", "RUB", f"7{day}", date(2026, 10, day), organization=organization)
    with CaptureQueriesContext(connection) as many:
        client.get(URL)

    assert len(many) == len(few)


def test_an_owner_enters_an_own_rate_and_a_repeat_changes_nothing(organization, member_of):
    owner = member_of(organization, role=Role.OWNER)
    client = as_user(owner)
    body = {"organization": organization.slug, "date": "2026-11-17", "base": "USD", "quote": "RUB", "rate": "80.25"}

    first = client.post(URL, body, format="json")
    again = client.post(URL, body, format="json")

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert first.json() == again.json()
    stored = FxRate.objects.get()
    assert (stored.organization, stored.rate, stored.source) == (organization, Decimal("80.25"), "manual")
    assert AuditLog.objects.filter(action="core.fx_rate.create", actor=owner).count() == 1


def test_another_figure_for_the_same_day_is_refused_naming_pair_and_date(organization, member_of):
    client = as_user(member_of(organization, role=Role.OWNER))
    rate("USD", "RUB", "80", TUESDAY, organization=organization)

    response = client.post(
        URL,
        {"organization": organization.slug, "date": "2026-11-17", "base": "USD", "quote": "RUB", "rate": "81"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["rate"] == [
        "There is already a rate for USD/RUB on 11/17/2026 (80): change that one instead."
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"rate": "-1"}, "rate", "The rate must be positive; -1 is not."),
        ({"quote": "USD"}, "quote", "A rate needs two different currencies; both are USD."),
        ({"rate": 80.5}, "rate", "Send amounts as decimal strings, not floating-point numbers."),
    ],
)
def test_a_bad_rate_is_named(organization, member_of, change, field, message):
    client = as_user(member_of(organization, role=Role.OWNER))
    body = {"organization": organization.slug, "date": "2026-11-17", "base": "USD", "quote": "RUB", "rate": "80"}

    response = client.post(URL, {**body, **change}, format="json")

    assert response.status_code == 400
    assert message in response.json()["error"]["fields"][field][0]
    assert not FxRate.objects.exists()


def test_rates_are_entered_for_an_own_organization_only(organization, other_organization, member_of):
    viewer = as_user(member_of(organization, role=Role.VIEWER))
    owner = as_user(member_of(organization, role=Role.OWNER))
    body = {"date": "2026-11-17", "base": "USD", "quote": "RUB", "rate": "80"}

    assert viewer.post(URL, {**body, "organization": organization.slug}, format="json").status_code == 403
    foreign = owner.post(URL, {**body, "organization": other_organization.slug}, format="json")
    public = owner.post(URL, body, format="json")

    assert foreign.status_code == 400
    assert "organization" in foreign.json()["error"]["fields"]
    assert public.status_code == 400  # no public rates through the API
    assert not FxRate.objects.exists()


def test_rates_are_entered_not_edited_through_the_api(organization, member_of, rates):
    client = as_user(member_of(organization, role=Role.OWNER))

    assert client.patch(f"{URL}{rates['own_usd'].pk}/", {"rate": "1"}, format="json").status_code == 405
    assert client.delete(f"{URL}{rates['public_usd'].pk}/").status_code == 405


def test_resolve_answers_the_rate_a_conversion_would_use(organization, member_of, rates):
    client = as_user(member_of(organization, role=Role.VIEWER))

    own = client.get(
        f"{URL}resolve/", {"base": "USD", "quote": "RUB", "date": "2026-11-20", "organization": organization.slug}
    )
    public = client.get(f"{URL}resolve/", {"base": "USD", "quote": "EUR", "date": "2026-11-20"})

    assert own.status_code == 200, own.content
    assert (own.json()["rate"], own.json()["method"], own.json()["date"]) == ("80.000000000000", "direct", "2026-11-17")
    assert public.json()["method"] == "cross"
    assert public.json()["rate"] == "0.858981889897"
    assert [row["id"] for row in public.json()["rates"]] == [rates["public_usd"].pk, rates["public_eur"].pk]


def test_resolve_names_the_missing_pair_and_never_uses_another_organizations_rates(
    organization, other_organization, member_of, rates
):
    client = as_user(member_of(organization, role=Role.VIEWER))

    missing = client.get(f"{URL}resolve/", {"base": "USD", "quote": "RUB", "date": "2026-11-01"})
    foreign = client.get(
        f"{URL}resolve/", {"base": "USD", "quote": "RUB", "date": "2026-11-20", "organization": other_organization.slug}
    )

    assert missing.status_code == 400
    assert "No exchange rate for USD/RUB on or before 2026-11-01" in missing.json()["error"]["message"]
    assert foreign.status_code == 400
    assert "organization" in foreign.json()["error"]["fields"]
