"""The broker goes away after work is committed: the shared mechanisms whose rows a sweeper hands over (the
webhook inbox, domain events, notifications) log the lost message instead of failing their caller, and the
row waits for the sweeper.

The broker really is away: the Celery app is pointed at a port where nothing listens (no Redis is stopped,
nothing is mocked), and put back afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import pytest
from django.db import transaction
from django.test import Client

from apps.core.mechanisms import events, notifications, webhooks
from apps.core.mechanisms.idempotency import product_key
from apps.core.mechanisms.webhooks import Verified
from apps.core.models import DomainEvent, Notification, WebhookDelivery
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)

SOURCE = "core.broker_away"
SECRET = b"broker-away-secret"


@pytest.fixture
def broker_away():
    """Celery's producers connect to a closed port until the test ends."""
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app.conf.broker_transport_options = {"max_retries": 1}
    _forget_connections()
    try:
        yield
    finally:
        celery_app.conf.broker_url = original
        celery_app.conf.broker_transport_options = {}
        _forget_connections()


def _forget_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def source():
    def verify(incoming: webhooks.Incoming) -> Verified:
        expected = hmac.new(SECRET, incoming.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, incoming.header("X-Signature") or ""):
            raise webhooks.WebhookRejected("bad signature")
        return Verified(event_id=json.loads(incoming.body)["id"], event_type="test")

    webhooks.webhook_source_register(SOURCE, verify=verify, handle=lambda delivery: None, label="Broker away")
    yield
    webhooks.webhook_source_unregister(SOURCE)


@pytest.mark.urls("tests.core.webhook_urls")
def test_a_verified_webhook_is_answered_200_and_left_for_the_sweeper_when_the_broker_is_away(
    broker_away, source, caplog
):
    body = json.dumps({"id": "evt_broker_away"}).encode()
    signature = hmac.new(SECRET, body, hashlib.sha256).hexdigest()

    with caplog.at_level(logging.ERROR):
        response = Client().post(
            f"/test-webhooks/{SOURCE}/acct/", data=body, content_type="application/json", HTTP_X_SIGNATURE=signature
        )

    assert response.status_code == 200, response.content  # a 5xx would make the provider send it again
    delivery = WebhookDelivery.objects.get(source=SOURCE)
    assert delivery.status == WebhookDelivery.Status.VERIFIED  # claimed, and found by the sweeper later
    assert any("on_commit" in record.getMessage() for record in caplog.records)  # the lost message is logged


def test_an_event_and_a_notification_commit_with_their_callers_work_when_the_broker_is_away(
    broker_away, organization, caplog
):
    with caplog.at_level(logging.ERROR), transaction.atomic():
        events.emit("core.broker_away_tested", organization=organization, payload={"n": 1}, aggregate="test:1")
        notifications.notify(
            recipient="owner@example.com",
            template="test_message",
            context={},
            key=product_key("broker-away", organization.pk),
            organization=organization,
        )

    assert DomainEvent.objects.filter(name="core.broker_away_tested", settled_at__isnull=True).count() == 1
    assert Notification.objects.filter(status=Notification.Status.QUEUED).count() == 1
    assert sum("on_commit" in record.getMessage() for record in caplog.records) == 2
