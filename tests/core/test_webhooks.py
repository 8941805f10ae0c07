"""The webhook inbox (apps.core.mechanisms.webhooks): stored first, verified, claimed once per event, handled
in the background once, retried with backoff, swept when lost, reprocessed on request, and shown read-only
in the admin to the organization it belongs to.

A test source is registered for these tests: its verifier checks an HMAC of the raw body (as Stripe's and
T-Bank's do, in spirit) and reads the event id, type and organization from the JSON body; its handler writes
an audit record, a real database effect that commits with the delivery's "processed" mark or not at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory, TestCase
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.core.accounts.roles import Role
from apps.core.mechanisms import webhooks
from apps.core.mechanisms.webhooks import (
    MAX_ATTEMPTS,
    Verified,
    WebhookRejected,
    client_ip,
    webhook_deliveries_sweep,
    webhook_delivery_process,
    webhook_delivery_reprocess,
    webhook_receive,
)
from apps.core.models import AuditLog, WebhookDelivery
from apps.core.operations.schedules import WEBHOOK_SWEEP_TASK_NAME
from apps.core.tasks import unreachable_retry_delay, webhook_delivery_process_task
from config.celery import app as celery_app
from tests.core.factories import UserFactory
from tests.helpers import assert_nothing_written, run_in_threads

SOURCE = "tests.hooks"
SECRET = b"whsec_test_secret"
HANDLED = "tests.webhook.handled"
Status = WebhookDelivery.Status


class Behaviour:
    """What the test source does; tests change it (a handler that fails, a verifier that breaks)."""

    def __init__(self):
        self.verified = 0
        self.handled: list[int] = []
        self.fail_with: Exception | None = None
        self.verifier_raises: Exception | None = None


behaviour = Behaviour()


def signature(body: bytes) -> str:
    return hmac.new(SECRET, body, hashlib.sha256).hexdigest()


def verify(incoming: webhooks.Incoming) -> Verified:
    behaviour.verified += 1
    if behaviour.verifier_raises is not None:
        raise behaviour.verifier_raises
    if not hmac.compare_digest(incoming.header("X-Test-Signature"), signature(incoming.body)):
        raise WebhookRejected("The signature does not match the body.")
    event = json.loads(incoming.body)
    return Verified(
        event_id=event["id"], event_type=event["type"], organization=event.get("organization"), payload=event
    )


def handle(delivery: WebhookDelivery) -> None:
    from apps.core.mechanisms.audit import audit_record

    behaviour.handled.append(delivery.pk)
    if behaviour.fail_with is not None:
        raise behaviour.fail_with
    audit_record(action=HANDLED, organization=delivery.organization_id, obj=delivery)


@pytest.fixture(autouse=True)
def test_source():
    global behaviour
    behaviour = Behaviour()
    webhooks.webhook_source_register(SOURCE, verify=verify, handle=handle, label="Test hooks")
    yield
    webhooks.webhook_source_unregister(SOURCE)


@pytest.fixture(autouse=True)
def empty_queue():
    purge_queue()
    yield
    purge_queue()


def purge_queue() -> None:
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


def queued_messages() -> int:
    return redis.Redis.from_url(settings.REDIS_URL).llen(settings.CELERY_TASK_DEFAULT_QUEUE)


def event(event_id: str | None = None, *, organization=None, type_: str = "payment.succeeded") -> bytes:
    body = {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": type_, "data": {"amount": "100.00"}}
    if organization is not None:
        body["organization"] = organization.pk
    return json.dumps(body).encode()


def committing():
    """Run what is queued on commit when the block ends, as a real commit would (the test's own transaction
    never commits); in a transactional test the callbacks run at their commit as usual."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def post(client: Client, body: bytes, *, signed: bool = True, endpoint: str = "acct_1", **headers):
    if signed:
        headers.setdefault("HTTP_X_TEST_SIGNATURE", signature(body))
    with committing():
        return client.post(
            f"/test-webhooks/{SOURCE}/{endpoint}/", data=body, content_type="application/json", **headers
        )


def effects() -> int:
    return AuditLog.objects.filter(action=HANDLED).count()


def received(body: bytes, **kwargs) -> WebhookDelivery:
    """A delivery taken through the real intake (signed, verified and claimed)."""
    response = post(Client(), body, **kwargs)
    assert response.status_code == 200, response.content
    return WebhookDelivery.objects.latest("pk")


webhook_urls = pytest.mark.urls("tests.core.webhook_urls")


# --- intake -----------------------------------------------------------------------------------------------


@webhook_urls
@pytest.mark.django_db
def test_a_verified_delivery_is_stored_as_received_claimed_and_answered_200(organization):
    body = event("evt_1", organization=organization)
    # A provider's server sends no CSRF token: the view is exempt, the verifier authenticates the sender.
    response = post(Client(enforce_csrf_checks=True), body, HTTP_USER_AGENT="Provider/1.0")

    assert response.status_code == 200
    assert response.json() == {"status": "verified"}
    delivery = WebhookDelivery.objects.get()
    assert bytes(delivery.body) == body  # exactly as received, byte for byte
    assert delivery.body_size == len(body)
    assert (delivery.source, delivery.endpoint, delivery.method) == (SOURCE, "acct_1", "POST")
    assert (delivery.status, delivery.event_id, delivery.event_type) == (Status.VERIFIED, "evt_1", "payment.succeeded")
    assert delivery.organization_id == organization.pk
    assert delivery.payload["data"] == {"amount": "100.00"}
    assert delivery.remote_address == "127.0.0.1"
    assert delivery.headers["User-Agent"] == "Provider/1.0"
    assert queued_messages() == 1  # its handling, queued once the claim committed


@webhook_urls
@pytest.mark.django_db
def test_credentials_in_headers_are_not_stored_but_the_verifier_sees_them(client):
    seen = {}

    def verify_with_token(incoming):
        seen["authorization"] = incoming.header("authorization")
        return verify(incoming)

    webhooks.webhook_source_unregister(SOURCE)
    webhooks.webhook_source_register(SOURCE, verify=verify_with_token, handle=handle, label="Test hooks")
    post(client, event(), HTTP_AUTHORIZATION="Bearer sk_live_secret", HTTP_COOKIE="sessionid=abc")

    delivery = WebhookDelivery.objects.get()
    assert seen["authorization"] == "Bearer sk_live_secret"
    assert delivery.headers["Authorization"] == "[removed]"
    assert delivery.headers["Cookie"] == "[removed]"
    assert "sk_live_secret" not in json.dumps(delivery.headers)
    assert delivery.headers["X-Test-Signature"] == signature(bytes(delivery.body))


@webhook_urls
@pytest.mark.django_db
def test_a_rejected_delivery_is_kept_with_its_reason_answered_400_and_never_handled(client):
    body = event("evt_forged")
    audit_before = AuditLog.objects.count()

    response = post(client, body, HTTP_X_TEST_SIGNATURE="0" * 64)

    assert response.status_code == 400
    assert response.json() == {"status": "rejected"}  # short: the sender learns nothing of what we check
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.REJECTED
    assert delivery.error == "The signature does not match the body."
    assert bytes(delivery.body) == body  # stored before it was verified
    assert (delivery.event_id, delivery.organization_id) == ("", None)
    assert behaviour.handled == []
    assert AuditLog.objects.count() == audit_before
    assert queued_messages() == 0


@webhook_urls
@pytest.mark.django_db
def test_a_verifier_that_breaks_still_leaves_the_delivery_on_record(client):
    behaviour.verifier_raises = RuntimeError("provider unreachable")

    response = post(client, event("evt_2"))

    assert response.status_code == 503  # not 2xx: the provider delivers it again later
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.REJECTED
    assert "RuntimeError: provider unreachable" in delivery.error
    assert behaviour.handled == []


@webhook_urls
@pytest.mark.django_db
def test_the_view_takes_post_only_and_knows_its_sources(client):
    assert client.get(f"/test-webhooks/{SOURCE}/acct_1/").status_code == 405
    assert post_to(client, "tests.nobody").status_code == 404
    assert not WebhookDelivery.objects.exists()


def post_to(client, source):
    return client.post(f"/test-webhooks/{source}/acct_1/", data=b"{}", content_type="application/json")


@webhook_urls
@pytest.mark.django_db
def test_a_body_over_the_limit_is_answered_413_and_recorded_without_it(client):
    body = b"{" + b" " * (settings.KONTORA_WEBHOOK_MAX_BODY_BYTES) + b"}"

    response = post(client, body)

    assert response.status_code == 413
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.REJECTED
    assert bytes(delivery.body) == b""
    assert delivery.body_size == len(body)
    assert "larger than" in delivery.error
    assert behaviour.verified == 0  # never shown to the verifier


@webhook_urls
@pytest.mark.django_db
def test_a_body_at_the_limit_is_taken(client, settings):
    settings.KONTORA_WEBHOOK_MAX_BODY_BYTES = 200
    body = event("evt_small")
    body = body[:-1] + b" " * (200 - len(body)) + b"}"
    assert len(body) == 200

    assert post(client, body).status_code == 200
    assert post(client, body + b" ").status_code == 413


@webhook_urls
@pytest.mark.django_db
def test_the_same_event_again_is_a_duplicate_of_the_first_and_is_not_handled_again(client):
    body = event("evt_3")
    first = received(body)
    response = post(client, body)

    assert response.status_code == 200
    assert response.json() == {"status": "duplicate"}
    again = WebhookDelivery.objects.latest("pk")
    assert (again.status, again.duplicate_of_id, again.event_id) == (Status.DUPLICATE, first.pk, "evt_3")
    assert queued_messages() == 1  # the first's handling only

    webhook_delivery_process(delivery_id=again.pk)
    assert behaviour.handled == []


@webhook_urls
@pytest.mark.django_db
def test_one_event_id_in_two_sources_is_two_events(client):
    other = "tests.other"
    webhooks.webhook_source_register(other, verify=verify, handle=handle, label="Other hooks")
    try:
        body = event("evt_shared")
        post(client, body)
        client.post(
            f"/test-webhooks/{other}/acct_1/",
            data=body,
            content_type="application/json",
            HTTP_X_TEST_SIGNATURE=signature(body),
        )
    finally:
        webhooks.webhook_source_unregister(other)
    assert sorted(WebhookDelivery.objects.values_list("source", "status")) == [
        (SOURCE, Status.VERIFIED),
        (other, Status.VERIFIED),
    ]


@webhook_urls
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_deliveries_of_one_event_make_one_verified_the_rest_duplicates_and_one_effect(
    organization,
):
    body = event("evt_race", organization=organization)

    responses = run_in_threads(lambda _i: post(Client(), body), 20)

    assert [response.status_code for response in responses] == [200] * 20
    statuses = sorted(response.json()["status"] for response in responses)
    assert statuses == ["duplicate"] * 19 + ["verified"]
    first = WebhookDelivery.objects.get(status=Status.VERIFIED)
    duplicates = WebhookDelivery.objects.filter(status=Status.DUPLICATE)
    assert duplicates.count() == 19
    assert set(duplicates.values_list("duplicate_of_id", flat=True)) == {first.pk}
    assert behaviour.verified == 20

    # Every delivery's task (even the duplicates', had they been queued) and then some, all at once.
    ids = [first.pk] * 5 + list(duplicates.values_list("pk", flat=True))
    run_in_threads(lambda i: webhook_delivery_process_task.apply(args=[ids[i]]).get(), len(ids))

    assert effects() == 1
    assert behaviour.handled == [first.pk]
    first.refresh_from_db()
    assert (first.status, first.attempts) == (Status.PROCESSED, 1)


# --- handling -------------------------------------------------------------------------------------------


@webhook_urls
@pytest.mark.django_db
def test_the_task_run_twice_has_one_effect(organization):
    delivery = received(event("evt_4", organization=organization))

    assert webhook_delivery_process_task.apply(args=[delivery.pk]).get() == Status.PROCESSED
    assert webhook_delivery_process_task.apply(args=[delivery.pk]).get() == "skipped"

    assert effects() == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.PROCESSED
    assert delivery.processed_at is not None
    assert delivery.attempts == 1
    assert AuditLog.objects.get(action=HANDLED).organization_id == organization.pk


@webhook_urls
@pytest.mark.django_db
def test_a_failing_handler_is_retried_with_growing_waits_and_then_left_failed():
    delivery = received(event("evt_5"))
    behaviour.fail_with = ValueError("the order is unknown")

    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        before = timezone.now()
        outcome = webhook_delivery_process(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (Status.FAILED, attempt)
        assert delivery.error == "ValueError: the order is unknown"
        if attempt < MAX_ATTEMPTS:
            assert delivery.next_attempt_at > before
            waits.append(outcome.retry_in)
        else:
            assert outcome.retry_in is None
            assert delivery.next_attempt_at is None  # given up: left for a person to look at

    assert waits == [60, 120, 240, 480, 960, 1920, 3600]  # doubling, at most an hour
    assert webhook_delivery_process(delivery_id=delivery.pk).status == "skipped"
    assert len(behaviour.handled) == MAX_ATTEMPTS
    assert effects() == 0


@webhook_urls
@pytest.mark.django_db
def test_the_task_retries_through_celery_until_the_delivery_has_used_its_attempts():
    delivery = received(event("evt_6"))
    behaviour.fail_with = ValueError("the order is unknown")

    # Run eagerly, Celery performs each retry at once instead of after its countdown.
    webhook_delivery_process_task.apply(args=[delivery.pk])

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (Status.FAILED, MAX_ATTEMPTS, None)
    assert len(behaviour.handled) == MAX_ATTEMPTS


class DatabaseBack(logging.Handler):
    """Brings the database back (its real address) when the task says it waits for it."""

    def __init__(self, settings_dict: dict, port):
        super().__init__(logging.WARNING)
        self.settings_dict, self.port, self.waits = settings_dict, port, 0

    def emit(self, record: logging.LogRecord) -> None:
        if "waits for the database" in record.getMessage():
            self.waits += 1
            self.settings_dict["PORT"] = self.port


@webhook_urls
@pytest.mark.django_db(transaction=True)
def test_a_database_out_of_reach_is_waited_for_by_the_task_not_left_to_the_sweeper():
    delivery = received(event("evt_db_away"))
    port = connection.settings_dict["PORT"]
    back = DatabaseBack(connection.settings_dict, port)
    task_logger = logging.getLogger("apps.core.tasks")
    task_logger.addHandler(back)
    # The database refuses connections: the address it is asked at has no server.
    connection.close()
    connection.settings_dict["PORT"] = 1
    try:
        # Run eagerly, Celery performs the retry at once instead of after its countdown.
        result = webhook_delivery_process_task.apply(args=[delivery.pk])
    finally:
        task_logger.removeHandler(back)
        connection.settings_dict["PORT"] = port

    assert back.waits == 1
    assert result.get() == Status.PROCESSED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 1)
    assert effects() == 1


def test_the_task_waits_seconds_for_the_database_doubling_up_to_a_minute():
    assert [unreachable_retry_delay(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]


@webhook_urls
@pytest.mark.django_db
def test_a_handler_that_recovers_on_retry_has_its_effect_once(organization):
    delivery = received(event("evt_7", organization=organization))
    behaviour.fail_with = ConnectionError("ledger busy")
    webhook_delivery_process(delivery_id=delivery.pk)
    behaviour.fail_with = None

    assert webhook_delivery_process(delivery_id=delivery.pk).status == Status.PROCESSED

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error, delivery.next_attempt_at) == (
        Status.PROCESSED,
        2,
        "",
        None,
    )
    assert effects() == 1


@webhook_urls
@pytest.mark.django_db
def test_a_delivery_of_a_source_no_longer_registered_fails_with_a_clear_error():
    delivery = received(event("evt_8"))
    webhooks.webhook_source_unregister(SOURCE)

    webhook_delivery_process(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert f"no webhook source '{SOURCE}' is registered" in delivery.error


# --- the sweeper ----------------------------------------------------------------------------------------


@webhook_urls
@pytest.mark.django_db
def test_the_sweeper_queues_again_what_waited_too_long_and_leaves_the_rest():
    stuck = received(event("evt_stuck"))
    fresh = received(event("evt_fresh"))
    handled = received(event("evt_done"))
    webhook_delivery_process(delivery_id=handled.pk)
    interrupted = received(event("evt_interrupted"))
    long_ago = timezone.now() - timedelta(minutes=30)
    WebhookDelivery.objects.filter(pk__in=[stuck.pk, handled.pk, interrupted.pk]).update(received_at=long_ago)
    # A worker died while handling it: its lease ran out.
    WebhookDelivery.objects.filter(pk=interrupted.pk).update(
        status=Status.PROCESSING, attempts=1, next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    purge_queue()

    with committing():
        swept = webhook_deliveries_sweep()

    assert sorted(swept) == sorted([stuck.pk, interrupted.pk])
    assert fresh.pk not in swept
    assert queued_messages() == 2

    for delivery_id in swept:
        webhook_delivery_process_task.apply(args=[delivery_id])
    assert WebhookDelivery.objects.get(pk=stuck.pk).status == Status.PROCESSED
    assert WebhookDelivery.objects.get(pk=interrupted.pk).status == Status.PROCESSED


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses_and_applies_again():
    call_command("migrate", "core", "0007", verbosity=0)
    try:
        assert "core_webhookdelivery" not in connection.introspection.table_names()
        assert not PeriodicTask.objects.filter(name=WEBHOOK_SWEEP_TASK_NAME).exists()
    finally:
        call_command("migrate", verbosity=0)
    assert "core_webhookdelivery" in connection.introspection.table_names()
    assert PeriodicTask.objects.filter(name=WEBHOOK_SWEEP_TASK_NAME).exists()


@pytest.mark.django_db
def test_the_sweeper_runs_every_five_minutes_from_the_database():
    task = PeriodicTask.objects.get(name=WEBHOOK_SWEEP_TASK_NAME)
    assert task.task == "apps.core.tasks.webhook_deliveries_sweep_task"
    assert task.enabled
    assert task.crontab.minute == "*/5"


# --- reprocess ------------------------------------------------------------------------------------------


@webhook_urls
@pytest.mark.django_db
def test_reprocess_runs_a_processed_delivery_through_the_handler_again_and_writes_audit(organization, member_of):
    owner = member_of(organization, role=Role.OWNER)
    delivery = received(event("evt_9", organization=organization))
    webhook_delivery_process(delivery_id=delivery.pk)
    purge_queue()

    with committing():
        again = webhook_delivery_reprocess(delivery=delivery, user=owner)

    assert (again.status, again.attempts) == (Status.VERIFIED, 0)
    assert queued_messages() == 1
    record = AuditLog.objects.get(action="core.webhook_delivery.reprocess")
    assert (record.actor_id, record.organization_id, record.object_id) == (owner.pk, organization.pk, str(delivery.pk))
    assert record.changes["before"]["status"] == Status.PROCESSED
    assert record.action_label == "Webhook delivery reprocessed"

    webhook_delivery_process(delivery_id=delivery.pk)
    assert behaviour.handled == [delivery.pk, delivery.pk]
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == Status.PROCESSED


@webhook_urls
@pytest.mark.django_db
def test_reprocess_gives_a_failed_delivery_its_attempts_back():
    superuser = UserFactory(is_superuser=True, is_staff=True)
    delivery = received(event("evt_10"))
    behaviour.fail_with = ValueError("bad")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=Status.FAILED, attempts=MAX_ATTEMPTS, error="bad")
    behaviour.fail_with = None

    webhook_delivery_reprocess(delivery=delivery, user=superuser)
    assert webhook_delivery_process(delivery_id=delivery.pk).status == Status.PROCESSED


@webhook_urls
@pytest.mark.django_db
def test_reprocess_refuses_a_delivery_not_yet_handled_and_a_member_without_the_power(organization, member_of):
    viewer = member_of(organization, role=Role.VIEWER)
    owner = member_of(organization, role=Role.OWNER)
    waiting = received(event("evt_11", organization=organization))

    with assert_nothing_written("core"), pytest.raises(ValidationError, match="Only a processed or failed"):
        webhook_delivery_reprocess(delivery=waiting, user=owner)

    webhook_delivery_process(delivery_id=waiting.pk)
    with assert_nothing_written("core"), pytest.raises(PermissionDenied):
        webhook_delivery_reprocess(delivery=waiting, user=viewer)
    with assert_nothing_written("core"), pytest.raises(PermissionDenied):
        webhook_delivery_reprocess(delivery=waiting, user=AnonymousUser())


# --- the client's address -------------------------------------------------------------------------------


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


def test_without_trusted_proxies_the_peer_is_the_client_and_a_forged_header_is_ignored(settings):
    settings.KONTORA_TRUSTED_PROXIES = []
    assert client_ip(request_from("203.0.113.7", "185.71.76.1")) == "203.0.113.7"


def test_a_trusted_proxy_s_forwarded_address_is_taken(settings):
    settings.KONTORA_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("10.0.0.5", "185.71.76.1")) == "185.71.76.1"
    # Through two of our proxies: the nearest address no proxy of ours holds.
    assert client_ip(request_from("10.0.0.5", "185.71.76.1, 10.0.3.4")) == "185.71.76.1"


def test_what_the_client_wrote_before_our_proxy_is_not_believed(settings):
    settings.KONTORA_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client sent "X-Forwarded-For: 185.71.76.1" itself; our proxy appended the address it really saw.
    assert client_ip(request_from("10.0.0.5", "185.71.76.1, 198.51.100.9")) == "198.51.100.9"


def test_an_untrusted_peer_s_forwarded_header_is_ignored_even_with_proxies_configured(settings):
    settings.KONTORA_TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]
    assert client_ip(request_from("198.51.100.9", "185.71.76.1")) == "198.51.100.9"
    assert client_ip(request_from("2001:db8::1", "2a02:6b8::1")) == "2a02:6b8::1"


def test_garbage_in_the_forwarded_chain_stops_at_the_last_trusted_hop(settings):
    settings.KONTORA_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("10.0.0.5", "not-an-ip")) == "10.0.0.5"
    assert client_ip(request_from("10.0.0.5", "185.71.76.1, junk, 10.0.0.9")) == "10.0.0.9"


@webhook_urls
@pytest.mark.django_db
def test_the_stored_remote_address_follows_the_trusted_proxy_rules(client, settings):
    settings.KONTORA_TRUSTED_PROXIES = ["127.0.0.1/32"]
    post(client, event(), HTTP_X_FORWARDED_FOR="185.71.76.1")
    assert WebhookDelivery.objects.get().remote_address == "185.71.76.1"


# --- intake outside the test client ---------------------------------------------------------------------


@pytest.mark.django_db
def test_webhook_receive_can_be_called_from_an_app_s_own_view():
    body = event("evt_direct")
    request = RequestFactory().post(
        "/billing/webhooks/stripe/acct/",
        data=body,
        content_type="application/json",
        HTTP_X_TEST_SIGNATURE=signature(body),
    )
    response = webhook_receive(request, source=SOURCE, endpoint="acct")
    assert response.status_code == 200
    assert WebhookDelivery.objects.get().event_id == "evt_direct"


@pytest.mark.django_db
def test_intake_takes_two_statements_and_a_transaction(django_assert_num_queries):
    body = event("evt_queries")
    request = RequestFactory().post(
        "/hooks/", data=body, content_type="application/json", HTTP_X_TEST_SIGNATURE=signature(body)
    )
    # The INSERT of the raw delivery, then the claim: savepoint, UPDATE, release (BEGIN, UPDATE, COMMIT outside
    # a test's transaction). The verifier here reads nothing from the database.
    with django_assert_num_queries(4):
        assert webhook_receive(request, source=SOURCE, endpoint="acct").status_code == 200


# --- admin ----------------------------------------------------------------------------------------------


def admin_url(view: str, *args) -> str:
    return reverse(f"admin:core_webhookdelivery_{view}", args=args)


@pytest.fixture
def deliveries(organization, other_organization):
    """A processed delivery of each organization, and one rejected before any organization was known."""
    rows = {}
    for name, org in (("a", organization), ("b", other_organization)):
        rows[name] = received(event(f"evt_admin_{name}", organization=org))
        webhook_delivery_process(delivery_id=rows[name].pk)
    post(Client(), event("evt_forged"), signed=False)
    rows["rejected"] = WebhookDelivery.objects.get(status=Status.REJECTED)
    purge_queue()
    return rows


@webhook_urls
@pytest.mark.django_db
def test_a_superuser_sees_every_delivery_and_its_page_shows_headers_and_body(client, deliveries):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    listing = client.get(admin_url("changelist"))
    assert listing.status_code == 200
    for delivery in deliveries.values():
        assert delivery in listing.context["cl"].result_list
    assert "Test hooks" in listing.content.decode()

    page = client.get(admin_url("change", deliveries["a"].pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "evt_admin_a" in html
    assert "&quot;amount&quot;: &quot;100.00&quot;" in html  # the JSON body, indented
    assert "X-Test-Signature" in html
    assert admin_url("reprocess", deliveries["a"].pk) in html

    found = client.get(admin_url("changelist"), {"q": "evt_admin_b"})
    assert list(found.context["cl"].result_list) == [deliveries["b"]]
    by_status = client.get(admin_url("changelist"), {"status": Status.REJECTED})
    assert list(by_status.context["cl"].result_list) == [deliveries["rejected"]]
    by_source = client.get(admin_url("changelist"), {"source": SOURCE})
    assert len(by_source.context["cl"].result_list) == 3


@webhook_urls
@pytest.mark.django_db
def test_a_member_sees_only_the_deliveries_of_their_organization(client, deliveries, organization, member_of):
    client.force_login(member_of(organization, role=Role.VIEWER))

    listing = client.get(admin_url("changelist"))
    assert list(listing.context["cl"].result_list) == [deliveries["a"]]
    assert client.get(admin_url("change", deliveries["a"].pk)).status_code == 200
    assert client.get(admin_url("change", deliveries["b"].pk)).status_code == 404
    assert client.get(admin_url("change", deliveries["rejected"].pk)).status_code == 404
    # A viewer may look, not reprocess: no button, and the address refuses.
    assert (
        admin_url("reprocess", deliveries["a"].pk)
        not in client.get(admin_url("change", deliveries["a"].pk)).content.decode()
    )
    assert client.post(admin_url("reprocess", deliveries["a"].pk)).status_code == 403


@webhook_urls
@pytest.mark.django_db
def test_nobody_adds_changes_or_deletes_a_delivery(client, deliveries):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    delivery = deliveries["a"]

    assert client.get(admin_url("add")).status_code == 403
    assert client.post(admin_url("change", delivery.pk), {"status": Status.FAILED}).status_code == 403
    assert client.post(admin_url("delete", delivery.pk), {"post": "yes"}).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Status.PROCESSED


@webhook_urls
@pytest.mark.django_db
def test_the_reprocess_action_and_button_queue_the_deliveries_again(client, deliveries, organization, member_of):
    client.force_login(member_of(organization, role=Role.OWNER))

    response = client.post(
        admin_url("changelist"),
        {"action": "reprocess", "_selected_action": [deliveries["a"].pk, deliveries["b"].pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 delivery queued for processing again." in response.content.decode()
    assert WebhookDelivery.objects.get(pk=deliveries["a"].pk).status == Status.VERIFIED
    assert WebhookDelivery.objects.get(pk=deliveries["b"].pk).status == Status.PROCESSED  # not theirs: untouched

    webhook_delivery_process(delivery_id=deliveries["a"].pk)
    response = client.post(admin_url("reprocess", deliveries["a"].pk))
    assert response.status_code == 302
    assert response["Location"] == admin_url("change", deliveries["a"].pk)
    assert WebhookDelivery.objects.get(pk=deliveries["a"].pk).status == Status.VERIFIED
    assert AuditLog.objects.filter(action="core.webhook_delivery.reprocess").count() == 2
    assert client.get(admin_url("reprocess", deliveries["a"].pk)).status_code == 405
