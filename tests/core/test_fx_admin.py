"""Exchange rates in the admin: members enter their organization's own rates; public rates are changed by
superusers only (``KontoraModelAdmin._may_write`` for rows shared when their organization is empty); a rate
used by a posting is read-only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from apps.core.accounts.roles import Role
from apps.core.models import FxRate
from apps.ledger.services import Leg, transaction_post
from tests.core.factories import UserFactory
from tests.ledger.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """Messages are checked in English (the default language is Russian)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


TUESDAY = date(2026, 11, 17)


def url(view, *args):
    return reverse(f"admin:core_fxrate_{view}", args=args)


@pytest.fixture
def public_rate(db):
    return FxRate.objects.create(date=TUESDAY, base_id="USD", quote_id="RUB", rate=Decimal("81.0123"), source="cbr")


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True, is_staff=True)


def form_data(organization, **overrides):
    data = {
        "organization": organization.pk if organization else "",
        "date": "2026-11-17",
        "base": "USD",
        "quote": "RUB",
        "rate": "80.50",
        "source": "manual",
    }
    return {**data, **overrides}


# --- the base admin: public rows are for superusers ------------------------------------------------------


def test_an_owner_may_not_change_or_delete_a_public_rate(owner, public_rate, organization):
    model_admin = admin.site._registry[FxRate]
    request = RequestFactory().get("/")
    request.user = owner
    own = FxRate.objects.create(organization=organization, date=TUESDAY, base_id="EUR", quote_id="RUB", rate=94)

    assert model_admin.has_change_permission(request, own)
    assert not model_admin.has_change_permission(request, public_rate)
    assert not model_admin.has_delete_permission(request, public_rate)


def test_a_member_sees_a_public_rate_read_only_and_cannot_post_a_change(client, owner, public_rate):
    client.force_login(owner)

    page = client.get(url("change", public_rate.pk))
    refused = client.post(url("change", public_rate.pk), form_data(None, rate="1"))
    deletion = client.post(url("delete", public_rate.pk), {"post": "yes"})

    assert page.status_code == 200
    assert b'name="rate"' not in page.content  # shown, not editable
    assert refused.status_code == 403
    assert deletion.status_code == 403
    public_rate.refresh_from_db()
    assert public_rate.rate == Decimal("81.0123")


def test_a_superuser_corrects_a_public_rate(client, superuser, public_rate):
    client.force_login(superuser)

    response = client.post(url("change", public_rate.pk), form_data(None, rate="81.0200", source="cbr"))

    assert response.status_code == 302, response.content
    public_rate.refresh_from_db()
    assert public_rate.rate == Decimal("81.0200")


# --- entering own rates -----------------------------------------------------------------------------------


def test_an_owner_enters_an_own_rate(client, owner, organization):
    client.force_login(owner)

    response = client.post(url("add"), form_data(organization))

    assert response.status_code == 302, response.content
    rate = FxRate.objects.get()
    assert (rate.organization, rate.rate, rate.source) == (organization, Decimal("80.50"), "manual")


def test_a_member_cannot_make_a_public_rate_by_leaving_the_organization_empty(client, owner):
    client.force_login(owner)

    response = client.post(url("add"), form_data(None))

    assert response.status_code == 200
    assert "organization" in response.context["adminform"].form.errors
    assert not FxRate.objects.exists()


def test_members_enter_rates_by_hand_only(client, owner, organization):
    client.force_login(owner)

    choices = client.get(url("add")).context["adminform"].form.fields["source"].choices
    response = client.post(url("add"), form_data(organization, source="cbr"))

    assert [value for value, _label in choices] == ["manual"]
    assert response.status_code == 200
    assert not FxRate.objects.exists()


def test_a_viewer_reads_rates_but_enters_none(client, organization, member_of, public_rate):
    client.force_login(member_of(organization, role=Role.VIEWER))

    assert client.get(url("changelist")).status_code == 200
    assert client.get(url("add")).status_code == 403


def test_a_second_figure_for_the_same_day_is_refused_with_the_reason(client, owner, organization):
    FxRate.objects.create(organization=organization, date=TUESDAY, base_id="USD", quote_id="RUB", rate=80)
    client.force_login(owner)

    response = client.post(url("add"), form_data(organization, rate="79"))

    assert response.status_code == 200
    assert "There is already a rate for USD/RUB on 11/17/2026" in str(response.context["adminform"].form.errors)
    assert FxRate.objects.count() == 1


def test_a_rate_used_by_a_posting_is_read_only(client, owner, organization):
    rate = FxRate.objects.create(organization=organization, date=TUESDAY, base_id="USD", quote_id="RUB", rate=80)
    unused = FxRate.objects.create(organization=organization, date=TUESDAY, base_id="EUR", quote_id="RUB", rate=94)
    cash, sales = AccountFactory(organization=organization), AccountFactory(organization=organization)
    transaction_post(
        organization=organization,
        user=None,
        date=TUESDAY,
        entries=[Leg(cash.pk, Decimal("8000")), Leg(sales.pk, Decimal("-8000"))],
        idempotency_key="sale-in-dollars",
        fx_rate=rate,
    )
    client.force_login(owner)

    assert client.post(url("change", rate.pk), form_data(organization, rate="81")).status_code == 403
    assert client.post(url("delete", rate.pk), {"post": "yes"}).status_code == 403
    assert client.post(url("change", unused.pk), form_data(organization, base="EUR", rate="95")).status_code == 302
    rate.refresh_from_db()
    assert rate.rate == 80


def test_the_changelist_filters_by_pair_and_shared(client, owner, organization, other_organization, public_rate):
    own = FxRate.objects.create(organization=organization, date=TUESDAY, base_id="EUR", quote_id="RUB", rate=94)
    FxRate.objects.create(organization=other_organization, date=TUESDAY, base_id="EUR", quote_id="RUB", rate=93)
    client.force_login(owner)

    everything = client.get(url("changelist")).context["cl"].result_list
    euro = client.get(url("changelist"), {"pair": "EUR/RUB"}).context["cl"].result_list
    public = client.get(url("changelist"), {"public": "yes"}).context["cl"].result_list
    pairs = client.get(url("changelist")).context["cl"].filter_specs[0].lookup_choices

    assert set(everything) == {public_rate, own}
    assert list(euro) == [own]
    assert list(public) == [public_rate]
    assert [value for value, _label in pairs] == ["EUR/RUB", "USD/RUB"]
