"""Trackers' server-to-server postbacks through core's webhook inbox: each tracker's own parameters make or
move a conversion, retries and concurrent deliveries count once, the token is checked (and rotated), a status
never goes back, bad values are refused with their reason kept, and the admin shows the addresses to paste."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.test import Client

from apps.analytics.models import Conversion, PostbackEndpoint
from apps.analytics.postbacks import APPROVED, PENDING, REJECTED, PostbackInvalid, postback_read
from apps.analytics.services.postbacks import postback_endpoint_create, postback_endpoint_rotate
from apps.analytics.webhooks import SOURCE
from apps.core.mechanisms.webhooks import webhook_delivery_process, webhook_delivery_reprocess
from apps.core.models import AuditLog, WebhookDelivery
from apps.core.tasks import webhook_delivery_process_task
from tests.analytics.factories import TrafficSourceFactory
from tests.core.factories import UserFactory
from tests.helpers import assert_nothing_written, run_in_threads

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


@pytest.fixture
def tracker(organization):
    """A Keitaro source with its endpoint; ``(endpoint, token)``."""
    source = TrafficSourceFactory(organization=organization, name="Keitaro", kind="tracker", currency="USD")
    return postback_endpoint_create(source=source)


def call(endpoint, token, client=None, **params):
    """The tracker's GET, as trackers send postbacks."""
    query = urlencode({"token": token, **params})
    return (client or Client()).get(f"/analytics/postback/{endpoint.public_id}/?{query}")


def process_all() -> None:
    for pk in WebhookDelivery.objects.filter(status=Status.VERIFIED).order_by("pk").values_list("pk", flat=True):
        webhook_delivery_process(delivery_id=pk)


# --- each tracker's shape ----------------------------------------------------------------------------------


def test_a_keitaro_postback_creates_the_conversion_and_its_sale_approves_it(tracker):
    endpoint, token = tracker

    lead = call(endpoint, token, subid="3k2fj1a", tid="ORD-1001", status="lead", payout="12.50", currency="USD")
    process_all()

    assert (lead.status_code, lead.content) == (200, b"OK")
    conversion = Conversion.objects.get()
    assert (conversion.source_id, conversion.transaction_id, conversion.click_id) == (
        endpoint.source_id,
        "ORD-1001",
        "3k2fj1a",
    )
    assert (conversion.status, conversion.payout, conversion.currency) == (PENDING, Decimal("12.50"), "USD")
    assert conversion.organization_id == endpoint.organization_id

    sale = call(endpoint, token, subid="3k2fj1a", tid="ORD-1001", status="sale", payout="12.50", currency="USD")
    process_all()

    assert sale.status_code == 200
    conversion.refresh_from_db()
    assert conversion.status == APPROVED
    assert Conversion.objects.count() == 1
    delivery = WebhookDelivery.objects.filter(source=SOURCE).order_by("pk").last()
    assert (delivery.event_id, delivery.status) == (f"{endpoint.source_id}:ORD-1001:approved", Status.PROCESSED)


def test_a_binom_postback_with_its_names_and_a_decimal_comma(organization):
    source = TrafficSourceFactory(organization=organization, name="Binom", kind="tracker", currency="EUR")
    endpoint, token = postback_endpoint_create(source=source)

    response = call(endpoint, token, cnv_id="e2f3he2tfe65a1", payout="3,75", cnv_status="approve", txid="tx-77")
    process_all()

    assert response.status_code == 200
    conversion = Conversion.objects.get()
    assert (conversion.click_id, conversion.transaction_id, conversion.status) == ("e2f3he2tfe65a1", "tx-77", APPROVED)
    assert (conversion.payout, conversion.currency) == (Decimal("3.75"), "EUR")  # the source's currency


def test_a_voluum_postback_posted_as_a_form_with_its_event_type(organization):
    source = TrafficSourceFactory(organization=organization, name="Voluum", kind="tracker")
    endpoint, token = postback_endpoint_create(source=source)

    response = Client().post(
        f"/analytics/postback/{endpoint.public_id}/",
        data=urlencode({"token": token, "cid": "c384EFV6JHQODRN70575OK6UG5", "payout": "40", "txid": "dep-9",
                        "et": "deposit", "currency": "eur"}),
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    process_all()

    assert response.status_code == 200
    conversion = Conversion.objects.get()
    assert (conversion.click_id, conversion.transaction_id, conversion.event) == (
        "c384EFV6JHQODRN70575OK6UG5",
        "dep-9",
        "deposit",
    )
    assert (conversion.status, conversion.payout, conversion.currency) == (APPROVED, Decimal("40"), "EUR")


def test_a_json_body_keeps_its_numbers_exact_and_a_campaign_is_found_or_made(tracker):
    endpoint, token = tracker
    body = {"click_id": "k1", "transaction_id": "t1", "payout": 0.1, "campaign_id": "77", "campaign_name": "Spring"}

    response = Client().post(
        f"/analytics/postback/{endpoint.public_id}/?token={token}", data=json.dumps(body), content_type="text/plain"
    )
    # The JSON body has a number: read as the text JSON wrote, never through a float.
    process_all()

    assert response.status_code == 200
    conversion = Conversion.objects.select_related("campaign").get()
    assert conversion.payout == Decimal("0.1")
    assert (conversion.campaign.external_id, conversion.campaign.name) == ("77", "Spring")


def test_without_a_transaction_id_the_click_and_event_stand_for_it():
    read = postback_read({"cid": "abc", "et": "signup"})

    assert (read.transaction_id, read.status) == ("abc:signup", APPROVED)
    assert postback_read({"subid": "abc", "tid": "{tid}"}).transaction_id == "abc"  # an unfilled macro is none


def test_statuses_are_read_as_ours_and_unknown_ones_kept():
    assert [postback_read({"subid": "a", "status": word}).status for word in ("lead", "Sale", "trash", "Hold")] == [
        PENDING,
        APPROVED,
        REJECTED,
        PENDING,
    ]
    assert postback_read({"subid": "a", "cnv_status": "first deposit"}).status == "first_deposit"


# --- once ---------------------------------------------------------------------------------------------------


def test_a_retry_is_a_duplicate_and_is_applied_once(tracker):
    endpoint, token = tracker
    params = {"subid": "c1", "tid": "T-1", "status": "sale", "payout": "5"}

    answers = [call(endpoint, token, **params).status_code for _ in range(3)]
    process_all()

    assert answers == [200, 200, 200]
    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == [
        Status.DUPLICATE,
        Status.DUPLICATE,
        Status.PROCESSED,
    ]
    assert Conversion.objects.get().payout == Decimal("5")


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_event_are_handled_once(organization):
    source = TrafficSourceFactory(organization=organization, name="Keitaro", kind="tracker")
    endpoint, token = postback_endpoint_create(source=source)

    responses = run_in_threads(lambda _i: call(endpoint, token, subid="c9", tid="T-9", status="sale", payout="7"), 8)
    ids = list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))
    run_in_threads(lambda i: webhook_delivery_process_task.apply(args=[ids[i]]).get(), len(ids))

    assert [response.status_code for response in responses] == [200] * 8
    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == [Status.DUPLICATE] * 7 + [
        Status.PROCESSED
    ]
    conversion = Conversion.objects.get()
    assert (conversion.transaction_id, conversion.payout) == ("T-9", Decimal("7"))


# --- order of statuses ----------------------------------------------------------------------------------


def test_a_late_pending_never_undoes_approved(tracker):
    endpoint, token = tracker
    call(endpoint, token, subid="c2", tid="T-2", status="sale", payout="9")
    process_all()

    # The network's "lead" postback, delayed, arrives after its "sale".
    call(endpoint, token, subid="c2", tid="T-2", status="lead", payout="0")
    process_all()

    conversion = Conversion.objects.get()
    assert (conversion.status, conversion.payout) == (APPROVED, Decimal("9"))


def test_statuses_applied_in_order_and_a_reprocessed_old_one_changes_nothing(tracker, member_of, organization):
    endpoint, token = tracker
    for status in ("lead", "sale", "rejected"):
        call(endpoint, token, subid="c3", tid="T-3", status=status, payout="4")
        process_all()
    assert Conversion.objects.get().status == REJECTED

    first = WebhookDelivery.objects.filter(event_type=PENDING).get()
    webhook_delivery_reprocess(delivery=first, user=member_of(organization))
    process_all()

    assert Conversion.objects.get().status == REJECTED


def test_a_conversion_imported_from_a_file_is_moved_by_its_postback(tracker):
    endpoint, token = tracker
    Conversion.objects.create(
        organization_id=endpoint.organization_id,
        source_id=endpoint.source_id,
        transaction_id="T-4",
        click_id="c4",
        status="lead",
        payout=Decimal("2"),
        currency="USD",
        conversion_time="2026-05-01T10:00:00Z",
    )

    call(endpoint, token, subid="c4", tid="T-4", status="sale")
    process_all()

    conversion = Conversion.objects.get()
    assert (conversion.status, conversion.payout) == (APPROVED, Decimal("2"))  # no payout sent: kept


# --- refused ------------------------------------------------------------------------------------------------


def test_a_wrong_token_is_refused_and_nothing_changes(tracker):
    endpoint, _token = tracker

    with assert_nothing_written("analytics"):
        response = call(endpoint, "not-the-token", subid="c5", tid="T-5", status="sale")
        missing = Client().get(f"/analytics/postback/{endpoint.public_id}/?subid=c5&tid=T-5")
        unknown = Client().get(f"/analytics/postback/no-such-endpoint/?token={_token}&subid=c5")

    assert (response.status_code, missing.status_code, unknown.status_code) == (400, 400, 400)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.REJECTED}
    assert "token" in WebhookDelivery.objects.order_by("pk").first().error


def test_another_endpoints_token_does_not_open_this_one(tracker, other_organization):
    endpoint, _token = tracker
    _foreign, foreign_token = postback_endpoint_create(source=TrafficSourceFactory(organization=other_organization))

    with assert_nothing_written("analytics"):
        response = call(endpoint, foreign_token, subid="c6", tid="T-6")

    assert response.status_code == 400


def test_rotating_the_token_refuses_the_old_one(tracker):
    endpoint, old = tracker

    endpoint, new = postback_endpoint_rotate(endpoint=endpoint)

    assert call(endpoint, old, subid="c7", tid="T-7").status_code == 400
    assert call(endpoint, new, subid="c7", tid="T-7").status_code == 200
    assert AuditLog.objects.filter(action="analytics.postback_endpoint.rotate").count() == 1


def test_a_switched_off_endpoint_refuses_postbacks(tracker):
    endpoint, token = tracker
    PostbackEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)

    assert call(endpoint, token, subid="c8", tid="T-8").status_code == 400


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"payout": "abc"}, "“payout”: “abc” is not an amount"),
        ({"payout": "NaN"}, "“payout”: “NaN” is not an amount"),
        ({"currency": "dollars"}, "“currency”: “dollars” is not a currency"),
        ({"ts": "yesterday"}, "“ts”: “yesterday” is not a time"),
        ({"tid": "", "subid": ""}, "neither a transaction id"),
    ],
)
def test_bad_values_are_refused_with_the_reason_kept(tracker, params, reason):
    endpoint, token = tracker

    with assert_nothing_written("analytics"):
        response = call(endpoint, token, **{"subid": "c10", "tid": "T-10", **params})

    assert response.status_code == 400
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.REJECTED
    assert reason in delivery.error


def test_the_token_is_stored_nowhere(tracker):
    endpoint, token = tracker

    call(endpoint, token, subid="c11", tid="T-11")

    delivery = WebhookDelivery.objects.get()
    assert token not in json.dumps(delivery.payload) + json.dumps(delivery.headers) + delivery.endpoint
    assert token not in json.dumps(list(PostbackEndpoint.objects.values()), default=str)


def test_the_postback_reader_refuses_an_over_long_id():
    with pytest.raises(PostbackInvalid, match="longer than 255"):
        postback_read({"subid": "x", "tid": "t" * 256})


# --- admin -------------------------------------------------------------------------------------------------


def test_the_admin_creates_an_endpoint_and_shows_its_token_once(client, organization, member_of):
    source = TrafficSourceFactory(organization=organization, name="Keitaro", kind="tracker")
    client.force_login(member_of(organization))

    response = client.post(
        "/admin/analytics/postbackendpoint/add/", {"source": source.pk, "is_active": "on"}, follow=False
    )

    assert response.status_code == 200
    endpoint = PostbackEndpoint.objects.get(source=source)
    page = response.content.decode()
    assert f"/analytics/postback/{endpoint.public_id}/?token=" in page
    token = page.split("?token=")[1].split("&amp;")[0]
    assert "subid={subid}&amp;tid={tid}&amp;status={status}" in page  # Keitaro's macros
    assert "cnv_id={clickid}" in page
    assert "cid={externalid}" in page
    assert "no-store" in response["Cache-Control"]
    # The address works with the token shown …
    assert call(endpoint, token, subid="c12", tid="T-12").status_code == 200
    # … and the change page shows the addresses with a placeholder in its place.
    change = client.get(f"/admin/analytics/postbackendpoint/{endpoint.pk}/change/").content.decode()
    assert token not in change
    assert f"/analytics/postback/{endpoint.public_id}/?token=TOKEN&amp;subid={{subid}}" in change


def test_the_rotate_action_shows_the_new_token_and_the_old_stops_working(client, tracker, organization, member_of):
    endpoint, old = tracker
    client.force_login(member_of(organization))

    response = client.post(
        "/admin/analytics/postbackendpoint/",
        {"action": "rotate_token", "_selected_action": [endpoint.pk]},
    )

    assert response.status_code == 200
    new = response.content.decode().split("?token=")[1].split("&amp;")[0]
    assert new != old
    assert call(endpoint, old, subid="c13", tid="T-13").status_code == 400
    assert call(endpoint, new, subid="c13", tid="T-13").status_code == 200


def test_a_viewer_may_not_rotate_and_the_token_is_unchanged(client, tracker, organization, member_of):
    endpoint, token = tracker
    client.force_login(member_of(organization, role="viewer"))

    client.post("/admin/analytics/postbackendpoint/", {"action": "rotate_token", "_selected_action": [endpoint.pk]})

    assert call(endpoint, token, subid="c14", tid="T-14").status_code == 200


def test_another_organizations_endpoint_is_not_found_nor_offered(client, tracker, other_organization, member_of):
    endpoint, token = tracker
    client.force_login(member_of(other_organization))

    page = client.get(f"/admin/analytics/postbackendpoint/{endpoint.pk}/change/")
    listing = client.get("/admin/analytics/postbackendpoint/")
    add = client.get("/admin/analytics/postbackendpoint/add/")
    client.post("/admin/analytics/postbackendpoint/", {"action": "rotate_token", "_selected_action": [endpoint.pk]})
    refused = client.post("/admin/analytics/postbackendpoint/add/", {"source": endpoint.source_id})

    assert page.status_code == 404
    assert endpoint.public_id not in listing.content.decode()
    assert endpoint.source_id not in {source.pk for source in add.context["adminform"].form.fields["source"].queryset}
    assert refused.status_code == 200
    assert "source" in refused.context["adminform"].form.errors
    assert call(endpoint, token, subid="c15", tid="T-15").status_code == 200  # not rotated


def test_a_superuser_sees_every_endpoint(client, tracker):
    endpoint, _token = tracker
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    assert endpoint.public_id in client.get("/admin/analytics/postbackendpoint/").content.decode()
