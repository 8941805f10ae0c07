"""The traffic reference data through the API (sources, programs, offers, campaigns): the organization's own rows
only, writes by the roles that may change traffic data, audited, bad values named by field with nothing saved,
and a campaign renamed or linked to an offer without parting it from its files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.analytics.models import AffiliateProgram, Campaign, Offer, TrafficSource
from apps.analytics.services import import_rows
from apps.core.accounts.roles import Role
from apps.core.models import AuditLog
from tests.analytics.factories import MetricRow, TrafficSourceFactory, import_job, reading_of
from tests.core.factories import MembershipFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/analytics/"


def client_of(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def source(organization):
    return TrafficSourceFactory(organization=organization, name="Moloco")


@pytest.fixture
def campaign(source):
    rows = [
        MetricRow(
            line=2,
            report_date=date(2026, 5, 1),
            campaign_id="cmp-1",
            campaign_name="US_iOS",
            spend=Decimal("10.00"),
            currency="USD",
        )
    ]
    import_rows(import_job(source), [rows], reading=reading_of(rows))
    return Campaign.objects.get(source=source)


@pytest.fixture
def owner_api(organization, member_of):
    return client_of(member_of(organization, role=Role.OWNER))


@pytest.fixture
def theirs(other_organization):
    source = TrafficSourceFactory(organization=other_organization, name="Their network")
    program = AffiliateProgram.objects.create(organization=other_organization, name="Their program")
    offer = Offer.objects.create(organization=other_organization, program=program, name="Their offer")
    campaign = Campaign.objects.create(
        organization=other_organization, source=source, external_id="x-1", name="Their campaign"
    )
    return {"sources": source, "programs": program, "offers": offer, "campaigns": campaign}


def test_a_traffic_source_is_created_with_its_settings_and_audited(owner_api, organization):
    response = owner_api.post(
        f"{BASE}sources/",
        {
            "name": "Keitaro",
            "kind": "tracker",
            "time_zone": "Europe/Moscow",
            "currency": "rub",
            "column_mapping": {"report_date": "Day", "campaign_name": "Campaign", "spend": "Cost"},
            "expected_delay": "06:00:00",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["organization"], body["kind"], body["time_zone"], body["currency"]) == (
        organization.slug, "tracker", "Europe/Moscow", "RUB",
    )  # fmt: skip
    source = TrafficSource.objects.get(pk=body["id"])
    assert AuditLog.objects.get(action="analytics.source.create", object_id=str(source.pk)).changes["name"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Moscow", "is not a time zone"),
        ("time_zone", "Europe", "is not a time zone"),  # a folder of the zone files, not a zone
        ("time_zone", "localtime", "is not a time zone"),  # the host's own zone, whatever it is
        ("currency", "RUR", "is not a currency Kontora knows"),
        ("column_mapping", {"day": "Day"}, "fields Kontora does not have: day"),
        ("column_mapping", ["Day", "Cost"], "An object of our field names"),
        ("kind", "affiliate", "is not a valid choice"),
        ("expected_delay", "-1 00:00:00", "cannot be negative"),
    ],
)
def test_a_bad_value_is_named_by_its_field_and_nothing_is_created(owner_api, field, value, message):
    response = owner_api.post(f"{BASE}sources/", {"name": "Keitaro", field: value}, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()["error"]["fields"][field]), response.json()
    assert not TrafficSource.objects.filter(name="Keitaro").exists()


def test_programs_and_offers_are_created_and_an_offer_needs_a_program_of_the_organization(owner_api, theirs):
    program = owner_api.post(f"{BASE}programs/", {"name": "CPA network", "external_id": "7"}, format="json")
    assert program.status_code == 201
    offer = owner_api.post(f"{BASE}offers/", {"name": "Trial (DE)", "program": program.json()["id"]}, format="json")
    assert offer.status_code == 201

    foreign = owner_api.post(f"{BASE}offers/", {"name": "X", "program": theirs["programs"].pk}, format="json")

    assert foreign.status_code == 400
    assert "does not exist" in foreign.json()["error"]["fields"]["program"][0]  # as a missing id would say
    assert list(Offer.objects.filter(name="X")) == []


def test_a_campaign_is_renamed_and_linked_to_an_offer_and_keeps_matching_its_files(owner_api, organization, campaign):
    program = AffiliateProgram.objects.create(organization=organization, name="Program")
    offer = Offer.objects.create(organization=organization, program=program, name="Offer")

    response = owner_api.patch(
        f"{BASE}campaigns/{campaign.pk}/", {"name": "US iOS (network)", "offer": offer.pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    campaign.refresh_from_db()
    assert (campaign.name, campaign.offer, campaign.external_id) == ("US iOS (network)", offer, "cmp-1")
    assert AuditLog.objects.filter(action="analytics.campaign.update", object_id=str(campaign.pk)).exists()


@pytest.mark.parametrize(
    ("field", "value"), [("external_id", "cmp-2"), ("match_name", "Renamed in files"), ("source", "other")]
)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_what_files_match_a_campaign_by_is_not_changed(owner_api, organization, campaign, field, value, method):
    if value == "other":
        value = TrafficSourceFactory(organization=organization, name="Another network").pk
    body = {"name": "US iOS", field: value}
    source = campaign.source_id

    response = getattr(owner_api, method)(f"{BASE}campaigns/{campaign.pk}/", body, format="json")

    assert response.status_code == 400
    assert "cannot be changed" in response.json()["error"]["fields"][field][0]
    campaign.refresh_from_db()
    assert (campaign.source_id, campaign.external_id, campaign.match_name, campaign.name) == (
        source, "cmp-1", "US_iOS", "US_iOS",
    )  # fmt: skip


def test_a_put_renames_a_campaign_without_repeating_what_files_match_it_by(owner_api, organization, campaign):
    response = owner_api.put(f"{BASE}campaigns/{campaign.pk}/", {"name": "US iOS", "offer": None}, format="json")

    assert response.status_code == 200, response.json()
    campaign.refresh_from_db()
    assert (campaign.name, campaign.external_id, campaign.match_name) == ("US iOS", "cmp-1", "US_iOS")


def test_a_campaign_read_and_sent_back_whole_with_a_new_name_is_renamed(owner_api, campaign):
    body = owner_api.get(f"{BASE}campaigns/{campaign.pk}/").json()
    body["name"] = "Renamed"

    response = owner_api.put(f"{BASE}campaigns/{campaign.pk}/", body, format="json")

    assert response.status_code == 200, response.json()
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"


def test_a_member_of_two_organizations_cannot_point_one_at_the_others_rows(
    organization, other_organization, member_of, campaign, theirs
):
    user = member_of(organization, role=Role.OWNER)
    MembershipFactory(user=user, organization=other_organization, role=Role.OWNER)
    api = client_of(user)

    linked = api.patch(f"{BASE}campaigns/{campaign.pk}/", {"offer": theirs["offers"].pk}, format="json")
    offer = api.post(
        f"{BASE}offers/",
        {"organization": organization.slug, "name": "Crossed", "program": theirs["programs"].pk},
        format="json",
    )
    planted = api.post(
        f"{BASE}campaigns/",
        {"organization": organization.slug, "source": theirs["sources"].pk, "external_id": "p-1", "name": "P"},
        format="json",
    )

    assert (linked.status_code, offer.status_code, planted.status_code) == (400, 400, 400)
    campaign.refresh_from_db()
    assert campaign.offer is None
    assert not Offer.objects.filter(name="Crossed").exists()
    assert not Campaign.objects.filter(external_id="p-1").exists()


def test_a_filter_by_another_organizations_id_answers_as_a_missing_one(owner_api, campaign, theirs):
    for route, name, row in (
        ("campaigns", "source", theirs["sources"]),
        ("offers", "program", theirs["programs"]),
        ("imports", "source", theirs["sources"]),
    ):
        foreign = owner_api.get(f"{BASE}{route}/", {name: row.pk})
        missing = owner_api.get(f"{BASE}{route}/", {name: 10**9})
        assert (foreign.status_code, foreign.json()["results"]) == (200, []), route
        assert (missing.status_code, missing.json()["results"]) == (200, []), route
    own = owner_api.get(f"{BASE}campaigns/", {"source": campaign.source_id})
    assert [item["id"] for item in own.json()["results"]] == [campaign.pk]


def test_a_row_that_imported_data_names_is_not_deleted_and_an_unused_one_is(owner_api, organization, source, campaign):
    program = AffiliateProgram.objects.create(organization=organization, name="Unused")

    refused = owner_api.delete(f"{BASE}sources/{source.pk}/")
    deleted = owner_api.delete(f"{BASE}programs/{program.pk}/")

    assert refused.status_code == 400
    assert "cannot be deleted" in refused.json()["error"]["message"]
    assert TrafficSource.objects.filter(pk=source.pk).exists()
    assert deleted.status_code == 204
    assert not AffiliateProgram.objects.filter(pk=program.pk).exists()


def test_an_analyst_may_change_traffic_data(organization, member_of, source):
    api = client_of(member_of(organization, role=Role.ANALYST))

    response = api.patch(f"{BASE}sources/{source.pk}/", {"time_zone": "Asia/Almaty"}, format="json")

    assert response.status_code == 200
    source.refresh_from_db()
    assert source.time_zone == "Asia/Almaty"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.BOOKKEEPER])
def test_a_role_that_may_not_change_traffic_data_reads_but_does_not_write(organization, member_of, source, role):
    api = client_of(member_of(organization, role=role))

    assert api.get(f"{BASE}sources/").status_code == 200
    assert api.post(f"{BASE}sources/", {"name": "Mine"}, format="json").status_code == 403
    assert api.patch(f"{BASE}sources/{source.pk}/", {"name": "Renamed"}, format="json").status_code == 403
    assert api.delete(f"{BASE}sources/{source.pk}/").status_code == 403
    source.refresh_from_db()
    assert source.name == "Moloco"


@pytest.mark.parametrize("route", ["sources", "programs", "offers", "campaigns"])
def test_another_organizations_rows_are_never_listed_read_changed_or_deleted(owner_api, campaign, theirs, route):
    listed = owner_api.get(f"{BASE}{route}/")
    row = theirs[route]

    assert listed.status_code == 200
    assert row.pk not in [item["id"] for item in listed.json()["results"]]
    assert owner_api.get(f"{BASE}{route}/{row.pk}/").status_code == 404
    assert owner_api.patch(f"{BASE}{route}/{row.pk}/", {"name": "Mine now"}, format="json").status_code == 404
    assert owner_api.delete(f"{BASE}{route}/{row.pk}/").status_code == 404
    row.refresh_from_db()
    assert row.name != "Mine now"


def test_a_source_is_not_created_in_another_organization(owner_api, other_organization):
    response = owner_api.post(
        f"{BASE}sources/", {"organization": other_organization.slug, "name": "Planted"}, format="json"
    )

    assert response.status_code == 400
    assert "organization" in response.json()["error"]["fields"]
    assert not TrafficSource.objects.filter(name="Planted").exists()
