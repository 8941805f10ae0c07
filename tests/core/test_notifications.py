"""The notifications outbox: one message per key whatever the repeats, in the recipient's language with a text
and an HTML part, retried when the mail server is away, failed with the reason when it refuses, nothing sent
for a rolled-back transaction.

Mail goes through Django's locmem backend (``django.core.mail.outbox``, Django's test backend). Where the mail
server must misbehave, the backend below raises what Django's SMTP backend raises (smtplib's exceptions) and
otherwise hands the message to locmem."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.core.mechanisms import notifications
from apps.core.mechanisms.idempotency import IdempotencyConflict, is_replay, product_key
from apps.core.models import AuditLog, Notification
from apps.core.operations.schedules import NOTIFICATIONS_SWEEP_TASK_NAME
from apps.core.tasks import notification_send_task, notifications_sweep_task
from config.celery import app as celery_app
from tests.core.test_events import real_worker
from tests.helpers import run_in_threads

KEY = product_key("tests", "welcome", 1)


class SmtpScript:
    """What the stand-in mail server answers next: a list of smtplib exceptions, then acceptance."""

    failures: list[Exception] = []


class ScriptedSmtpBackend(LocmemBackend):
    def send_messages(self, messages):
        if SmtpScript.failures:
            raise SmtpScript.failures.pop(0)
        return super().send_messages(messages)


@pytest.fixture
def mail_server(settings):
    settings.EMAIL_BACKEND = f"{__name__}.ScriptedSmtpBackend"
    SmtpScript.failures = []
    yield SmtpScript
    SmtpScript.failures = []


@pytest.fixture
def empty_queue():
    def purge():
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)

    purge()
    yield
    purge()


def queued_messages() -> int:
    return redis.Redis.from_url(settings.REDIS_URL).llen(settings.CELERY_TASK_DEFAULT_QUEUE)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=False)


def notify(**overrides):
    arguments = {
        "recipient": "anna@example.com",
        "template": "test_message",
        "context": {"message": "The invoice #12 is paid."},
        "key": KEY,
        "language": "en",
    } | overrides
    with transaction.atomic():
        return notifications.notify(**arguments)


# --- one message per key -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_five_notifies_and_three_task_runs_send_one_email(organization, capture):
    with capture() as queued:
        sent = [notify(organization=organization) for _ in range(5)]

    assert len({notification.pk for notification in sent}) == 1
    assert [is_replay(notification) for notification in sent] == [False, True, True, True, True]
    assert len(queued) == 1  # only the first is queued for sending

    for _ in range(3):
        notification_send_task(sent[0].pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.com"]
    notification = Notification.objects.get()
    assert notification.status == "sent"
    assert notification.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_racing_notifies_and_racing_sends_still_send_one_email(organization):
    made = run_in_threads(lambda _i: notify(organization=organization).pk, 5)
    assert len(set(made)) == 1
    assert Notification.objects.count() == 1

    statuses = run_in_threads(lambda _i: notification_send_task(made[0]), 3)

    assert statuses == ["sent", "sent", "sent"]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_same_key_for_another_recipient_is_refused(organization, capture):
    with capture():
        notify(organization=organization)
        with pytest.raises(IdempotencyConflict, match="recipient"):
            notify(organization=organization, recipient="boris@example.com")
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_channel_or_template_is_refused_at_once(organization):
    from django.template import TemplateDoesNotExist

    with pytest.raises(ValueError, match="carrier_pigeon"):
        notify(organization=organization, channel="carrier_pigeon")
    with pytest.raises(TemplateDoesNotExist):
        notify(organization=organization, template="no_such_template")
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_nothing_is_sent_for_a_rolled_back_transaction(organization, capture):
    class Abort(Exception):
        pass

    def notify_then_fail():
        with transaction.atomic():
            notifications.notify(
                recipient="anna@example.com", template="test_message", context={}, key=KEY, organization=organization
            )
            raise Abort

    with capture() as queued, pytest.raises(Abort):
        notify_then_fail()

    assert queued == []
    assert not Notification.objects.exists()
    assert notifications.notifications_sweep(now=timezone.now() + timedelta(hours=1)) == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_a_committed_notification(organization, empty_queue):
    with real_worker():
        notification = notify(organization=organization)

        deadline = time.monotonic() + 30
        while not Notification.objects.filter(pk=notification.pk, status="sent").exists():
            assert time.monotonic() < deadline, "the worker did not send the notification in 30 s"
            time.sleep(0.1)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Hello from Kontora!"


# --- languages and parts -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_message_reads_in_russian_or_english(organization, capture):
    with capture():
        russian = notify(organization=organization, key=product_key("tests", "ru"), language="ru")
        english = notify(organization=organization, key=product_key("tests", "en"), language="en")
    notification_send_task(russian.pk)
    notification_send_task(english.pk)

    in_russian, in_english = mail.outbox
    assert in_russian.subject == "Вас приветствует Kontora!"
    assert in_russian.body.startswith("Вас приветствует Kontora!")
    assert '<html lang="ru">' in in_russian.alternatives[0].content
    assert in_english.subject == "Hello from Kontora!"
    assert in_english.body.startswith("Hello from Kontora!")
    assert '<html lang="en">' in in_english.alternatives[0].content


@pytest.mark.django_db
def test_without_a_language_the_organizations_is_used(organization, other_organization, capture):
    organization.language = "ru"
    organization.save()
    other_organization.language = "en"
    other_organization.save()
    with capture():
        of_russian = notify(organization=organization, key=product_key("tests", 1), language=None)
        of_english = notify(organization=other_organization, key=product_key("tests", 2), language=None)
        platform = notify(organization=None, key=product_key("tests", 3), language=None)

    assert (of_russian.language, of_english.language) == ("ru", "en")
    assert platform.language == "en"  # settings.LANGUAGE_CODE of the test settings


@pytest.mark.django_db
def test_the_email_has_a_text_part_and_an_html_part(organization, capture):
    with capture():
        notification = notify(
            organization=organization, context={"message": "Paid <in full> & on time.", "site_name": "Smith & Sons"}
        )
    notification_send_task(notification.pk)

    message = mail.outbox[0]
    assert message.subject == "Hello from Smith & Sons!"
    assert "This is a test message" in message.body
    assert "Paid <in full> & on time." in message.body  # text is not HTML-escaped
    assert "<p" not in message.body
    [(html, content_type)] = message.alternatives
    assert content_type == "text/html"
    assert "<p>Paid &lt;in full&gt; &amp; on time.</p>" in html  # HTML is
    assert "Hello from Smith &amp; Sons!" in html
    notification.refresh_from_db()
    assert notification.provider_message_id == message.extra_headers["Message-ID"]


# --- failures ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_temporary_failure_is_retried_with_backoff_then_sent(organization, capture, mail_server):
    import smtplib

    mail_server.failures = [smtplib.SMTPServerDisconnected("Connection unexpectedly closed")]
    with capture():
        notification = notify(organization=organization)
    now = timezone.now()

    with capture() as retry:
        notifications.notification_send(notification.pk, now=now)
    notification.refresh_from_db()
    assert notification.status == "queued"
    assert notification.attempts == 1
    assert "could not be reached" in notification.error
    assert notification.next_attempt_at == now + timedelta(minutes=1)
    assert len(retry) == 1
    assert mail.outbox == []

    notifications.notification_send(notification.pk, now=now + timedelta(seconds=30))  # not yet due
    assert mail.outbox == []

    notifications.notification_send(notification.pk, now=now + timedelta(minutes=1))
    notification.refresh_from_db()
    assert notification.status == "sent"
    assert notification.attempts == 2
    assert notification.error == ""
    assert notification.sent_at is not None
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_server_that_stays_away_fails_the_notification_after_the_last_attempt(
    organization, capture, mail_server, settings
):
    import smtplib

    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    mail_server.failures = [smtplib.SMTPConnectError(421, b"busy"), smtplib.SMTPConnectError(421, b"still busy")]
    with capture():
        notification = notify(organization=organization)
        notifications.notification_send(notification.pk)
        notifications.notification_send(notification.pk, now=timezone.now() + timedelta(hours=1))

    notification.refresh_from_db()
    assert notification.status == "failed"
    assert "421" in notification.error
    assert notification.failed_at is not None


@pytest.mark.django_db
def test_a_refused_recipient_fails_at_once_with_the_reason(organization, capture, mail_server):
    import smtplib

    mail_server.failures = [smtplib.SMTPRecipientsRefused({"anna@example.com": (550, b"5.1.1 User unknown")})]
    with capture():
        notification = notify(organization=organization)
        notifications.notification_send(notification.pk)
        notifications.notification_send(notification.pk, now=timezone.now() + timedelta(days=1))

    notification.refresh_from_db()
    assert notification.status == "failed"
    assert notification.attempts == 1
    assert "refused the recipient" in notification.error
    assert "User unknown" in notification.error
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_transport_of_another_channel_speaks_through_the_same_interface(organization, capture):
    class Pager:
        def __init__(self):
            self.sent = []

        def send(self, notification):
            if notification.recipient == "+70000000000":
                raise notifications.PermanentFailure("the number does not exist")
            self.sent.append(notification.recipient)
            return f"pager-{len(self.sent)}"

    pager = Pager()
    notifications.transport_register("tests_pager", pager)
    try:
        with capture():
            good = notify(organization=organization, channel="tests_pager", recipient="+79990001122")
            bad = notify(
                organization=organization, channel="tests_pager", recipient="+70000000000", key=product_key("t", 2)
            )
        notification_send_task(good.pk)
        notification_send_task(bad.pk)
    finally:
        notifications._transports.pop("tests_pager")

    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, good.provider_message_id) == ("sent", "pager-1")
    assert (bad.status, bad.error) == ("failed", "the number does not exist")
    assert pager.sent == ["+79990001122"]

    assert notifications.notification_mark_delivered(channel="tests_pager", provider_message_id="pager-1").pk == good.pk
    good.refresh_from_db()
    assert good.status == "delivered"
    assert good.delivered_at is not None


# --- the sweeper ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweeper_sends_a_notification_whose_dispatch_was_lost(organization, capture, empty_queue):
    with capture():
        notification = notify(organization=organization)  # its on-commit dispatch never ran
    assert queued_messages() == 0

    assert notifications.notifications_sweep() == 0  # young: left to its own dispatch
    assert notifications.notifications_sweep(now=timezone.now() + timedelta(minutes=2)) == 1
    assert queued_messages() == 1  # queued on the real broker

    notification_send_task(notification.pk)  # what the worker does with that message
    assert len(mail.outbox) == 1
    assert notifications.notifications_sweep(now=timezone.now() + timedelta(minutes=2)) == 0


@pytest.mark.django_db
def test_the_notifications_sweeper_runs_every_minute_from_the_database():
    task = PeriodicTask.objects.select_related("crontab").get(name=NOTIFICATIONS_SWEEP_TASK_NAME)

    assert task.task == notifications.SWEEP_TASK == notifications_sweep_task.name
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("*", "*")


# --- the admin --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_lists_an_organizations_notifications_with_the_recipient_masked(
    client, organization, other_organization, member_of, capture
):
    with capture():
        notify(organization=organization, recipient="anna.petrova@example.com")
        notify(organization=other_organization, recipient="boris@example.com", key=product_key("tests", "other"))
    client.force_login(member_of(organization))

    page = client.get(reverse("admin:core_notification_changelist"), {"status__exact": "queued"}).content.decode()

    assert "an***@example.com" in page
    assert "anna.petrova" not in page
    assert "bo***@example.com" not in page


@pytest.mark.django_db
def test_a_failed_notification_is_retried_from_the_admin_with_an_audit_record(
    client, organization, member_of, capture, mail_server
):
    import smtplib

    mail_server.failures = [smtplib.SMTPDataError(554, b"rejected for policy reasons")]
    with capture():
        notification = notify(organization=organization)
        notification_send_task(notification.pk)
    notification.refresh_from_db()
    assert notification.status == "failed"
    owner = member_of(organization)
    client.force_login(owner)

    with capture() as queued:
        response = client.post(
            reverse("admin:core_notification_changelist"), {"action": "retry", "_selected_action": [notification.pk]}
        )

    assert response.status_code == 302
    assert len(queued) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("queued", 0)
    record = AuditLog.objects.get(action="core.notification.retry")
    assert record.actor == owner
    assert "554" in record.changes["error"]

    notification_send_task(notification.pk)
    assert len(mail.outbox) == 1
