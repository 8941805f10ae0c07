"""Traffic sources, affiliate programs, offers and campaigns edited in the admin go through the analytics
services: checked (a row points only at its own organization's rows), audited with who changed what, refused
to a member who may only read, and a row that imported data or payouts refer to is not deleted."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.analytics.models import Campaign, Offer, TrafficSource
from apps.analytics.services import reference_save
from apps.core.accounts.roles import Role
from apps.core.models import AuditLog
from tests.analytics.factories import AffiliateProgramFactory, TrafficSourceFactory
from tests.core.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def campaign_of(source, **fields) -> Campaign:
    return Campaign.objects.create(
        organization=source.organization, source=source, external_id="c-1", match_name="Spring", name="Spring", **fields
    )


def test_renaming_a_campaign_in_the_admin_is_audited_with_its_author_and_keeps_the_files_match(
    admin_client, owner, organization
):
    campaign = campaign_of(TrafficSourceFactory(organization=organization))

    response = admin_client.post(
        reverse("admin:analytics_campaign_change", args=[campaign.pk]), {"name": "Spring sale", "offer": ""}
    )

    assert response.status_code == 302, response.content
    campaign.refresh_from_db()
    assert (campaign.name, campaign.match_name, campaign.external_id) == ("Spring sale", "Spring", "c-1")
    record = AuditLog.objects.get(action="analytics.campaign.update", object_id=str(campaign.pk))
    assert record.actor == owner
    assert record.changes == {"name": ["Spring", "Spring sale"]}


def source_form(organization, **changes) -> dict:
    """The admin's form of a new traffic source, "Unity Ads", with ``changes``."""
    return {
        "organization": organization.pk,
        "name": "Unity Ads",
        "kind": TrafficSource.Kind.AD_NETWORK,
        "time_zone": "UTC",
        "currency": "USD",
        "expected_delay": "1 00:00:00",
        "column_mapping": "{}",
        **changes,
    }


def test_a_traffic_source_added_in_the_admin_is_audited(admin_client, owner, organization):
    response = admin_client.post(
        reverse("admin:analytics_trafficsource_add"),
        source_form(organization),
    )

    assert response.status_code == 302, response.content
    source = TrafficSource.objects.get(organization=organization, name="Unity Ads")
    assert AuditLog.objects.get(action="analytics.source.create", object_id=str(source.pk)).actor == owner


def test_a_traffic_source_with_a_misspelt_time_zone_is_refused_on_its_field(admin_client, owner, organization):
    response = admin_client.post(
        reverse("admin:analytics_trafficsource_add"),
        source_form(organization, time_zone="Europe/Moskow"),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200  # the form again, the error beside the field
    assert response.context["adminform"].form.errors["time_zone"] == [
        "“Europe/Moskow” is not a time zone; use a name such as Europe/Moscow or UTC."
    ]
    assert not TrafficSource.objects.filter(name="Unity Ads").exists()


def test_an_offer_cannot_point_at_another_organizations_program(admin_client, owner, organization, other_organization):
    MembershipFactory(user=owner, organization=other_organization, role=Role.OWNER)
    theirs = AffiliateProgramFactory(organization=other_organization)

    response = admin_client.post(
        reverse("admin:analytics_offer_add"),
        {"organization": organization.pk, "program": theirs.pk, "name": "Crossed", "external_id": ""},
    )

    assert response.status_code == 200  # the form again, with the refusal
    assert "belongs to another organization" in response.content.decode()
    assert not Offer.objects.filter(name="Crossed").exists()
    assert not AuditLog.objects.filter(action="analytics.offer.create").exists()


def test_a_member_who_may_only_read_cannot_rename_a_campaign(client, member_of, organization):
    viewer = member_of(organization, role=Role.VIEWER)
    client.force_login(viewer)
    campaign = campaign_of(TrafficSourceFactory(organization=organization))

    response = client.post(reverse("admin:analytics_campaign_change", args=[campaign.pk]), {"name": "Mine"})

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.name == "Spring"
    assert not AuditLog.objects.filter(action="analytics.campaign.update").exists()


def test_a_source_its_campaigns_refer_to_is_not_deleted(admin_client, organization):
    source = TrafficSourceFactory(organization=organization)
    campaign_of(source)

    response = admin_client.post(reverse("admin:analytics_trafficsource_delete", args=[source.pk]), {"post": "yes"})

    assert response.status_code == 200  # Django's page naming the rows that protect it
    assert TrafficSource.objects.filter(pk=source.pk).exists()
    assert not AuditLog.objects.filter(action="analytics.source.delete").exists()


def test_an_unused_program_is_deleted_and_the_deletion_audited(admin_client, owner, organization):
    program = AffiliateProgramFactory(organization=organization)

    response = admin_client.post(reverse("admin:analytics_affiliateprogram_delete", args=[program.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert AuditLog.objects.get(action="analytics.program.delete", object_id=str(program.pk)).actor == owner


@pytest.mark.parametrize(("field", "value"), [("external_id", "cmp-2"), ("match_name", "Other name in files")])
def test_the_service_keeps_what_files_match_a_campaign_by_whoever_saves_it(owner, organization, field, value):
    source = TrafficSourceFactory(organization=organization)
    campaign = Campaign.objects.create(organization=organization, source=source, external_id="cmp-1", name="A")
    setattr(campaign, field, value)

    with pytest.raises(ValidationError) as refused:
        reference_save(instance=campaign, user=owner)

    assert list(refused.value.message_dict) == [field]
    campaign.refresh_from_db()
    assert (campaign.external_id, campaign.match_name) == ("cmp-1", "")
