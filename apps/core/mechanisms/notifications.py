"""The notifications outbox: a message to a person (e-mail now; Telegram, VK, WhatsApp, MAX and SMS when leads
register them), written in the caller's transaction and sent by Celery after the commit.

``notify(recipient="anna@example.com", template="test_message", context={...}, key=product_key("invoice",
12, "issued", "mail"), organization=org)`` writes a :class:`~apps.core.models.Notification`, unique by its
key: calling it again with the key returns the first and sends nothing more. After the commit the task
``apps.core.tasks.notification_send_task`` locks the row and, while it is still queued, hands it to the
transport registered for its channel:

- a transport is any object with ``send(notification) -> provider's message id`` that raises
  :class:`PermanentFailure` (the address is wrong, the provider refuses: failed at once, with the reason) or
  :class:`TemporaryFailure` (the provider is away: tried again after 1, 2, 4… minutes, at most an hour,
  failed after ``NOTIFICATIONS_MAX_ATTEMPTS``, 8 by default); anything else it raises counts as temporary;
- it is registered with :func:`transport_register` (core registers ``"email"`` below);
- the row goes queued → sent (provider's id, time) → delivered (a provider's callback, through
  :func:`notification_mark_delivered`) or failed (reason). A task run after "sent" sends nothing.

The message is sent while its row is locked and marked sent in the same transaction: a second run waits and
finds it sent. Only a process that dies between the provider's answer and the commit sends it twice.

Templates live in ``templates/notifications/<template>/`` as ``subject.txt``, ``body.txt`` and
``body.html``, rendered with the notification's context in its language (the ``language`` argument, else the
organization's, else ``settings.LANGUAGE_CODE``); the ``.txt`` parts without HTML escaping. Their words are
``{% translate %}`` and ``{% blocktranslate %}``. A beat task (``notifications_sweep_task``) queues again what
is due and was not sent, so a message whose on-commit dispatch died with its process still goes out.
"""

from __future__ import annotations

import json
import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid
from typing import Protocol
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from apps.core.mechanisms.audit import audit_record, register_action_labels
from apps.core.mechanisms.idempotency import mark_replay, replay_of, stored_key
from apps.core.mechanisms.jobs import enqueue_swept_on_commit
from apps.core.models import Notification

logger = logging.getLogger(__name__)

# The names are written out: the tasks in apps.core.tasks and the periodic task (migration 0009) use them.
SEND_TASK = "apps.core.tasks.notification_send_task"
SWEEP_TASK = "apps.core.tasks.notifications_sweep_task"

DEFAULT_MAX_ATTEMPTS = 8
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_BATCH = 500


class DeliveryFailure(Exception):
    """A transport could not send a notification; ``reason`` is stored with it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PermanentFailure(DeliveryFailure):
    """Sending again will not help (a refused address, a blocked recipient): the notification fails at once."""


class TemporaryFailure(DeliveryFailure):
    """The provider may take it later (unreachable, rate limited): the notification is tried again."""


class Transport(Protocol):
    def send(self, notification: Notification) -> str: ...


_transports: dict[str, Transport] = {}


def transport_register(channel: str, transport: Transport) -> None:
    """Have ``transport`` send the notifications of ``channel`` (from an ``AppConfig.ready``). Registering a
    channel again replaces its transport (a test's stand-in, a provider switched by settings)."""
    _transports[channel] = transport


def transport_of(channel: str) -> Transport:
    try:
        return _transports[channel]
    except KeyError:
        raise PermanentFailure(f"no transport is registered for the channel {channel!r}") from None


def channels() -> list[str]:
    return sorted(_transports)


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFICATIONS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def retry_delay(attempts: int) -> timedelta:
    """The wait after failed attempt number ``attempts``: 1, 2, 4… minutes, at most an hour."""
    return timedelta(seconds=min(3600, 60 * 2 ** max(0, attempts - 1)))


# --- templates -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _template_path(template: str, part: str) -> str:
    return f"notifications/{template}/{part}"


def _render_plain(name: str, context: dict) -> str:
    # Plain text is not HTML: «Smith & Sons» must not arrive as «Smith &amp; Sons» in a subject or an SMS.
    return get_template(name).template.render(Context(context, autoescape=False))


def notification_render(notification: Notification) -> Rendered:
    """The notification's subject, text and HTML in its language (the text parts without HTML escaping)."""
    context = {**notification.context, "recipient": notification.recipient}
    with translation.override(notification.language):
        subject = _render_plain(_template_path(notification.template, "subject.txt"), context)
        text = _render_plain(_template_path(notification.template, "body.txt"), context)
        html = render_to_string(_template_path(notification.template, "body.html"), context)
    # A subject is one line (a header cannot hold a line break).
    return Rendered(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)


def _language_of(organization, language: str | None) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    for candidate in (language, getattr(organization, "language", None), settings.LANGUAGE_CODE):
        if candidate and candidate in known:
            return candidate
    return settings.LANGUAGE_CODE


# --- writing and sending ---------------------------------------------------------------------------------


def notify(
    *,
    recipient: str,
    template: str,
    context: dict,
    channel: str = "email",
    key,
    organization=None,
    language: str | None = None,
) -> Notification:
    """Queue a message for ``recipient`` in the caller's transaction; it is sent after the commit (never, if
    the transaction rolls back).

    ``key`` is required (a :func:`~apps.core.mechanisms.idempotency.product_key`, or a client's key, stored
    in the clients' namespace): a second ``notify`` with it returns the first notification (marked as a
    replay) and sends nothing more; the key used for another recipient, template, channel or organization
    raises :class:`~apps.core.mechanisms.idempotency.IdempotencyConflict`. An unknown channel or template is
    a programming error and raises at once."""
    if channel not in _transports:
        raise ValueError(f"no transport is registered for the channel {channel!r}")
    get_template(_template_path(template, "subject.txt"))  # TemplateDoesNotExist now, not in a worker later
    stored = stored_key(key, field="key")
    organization_id = getattr(organization, "pk", organization)
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            key=stored,
            defaults={
                "organization_id": organization_id,
                "channel": channel,
                "recipient": recipient,
                "template": template,
                "context": json.loads(json.dumps(context or {}, cls=DjangoJSONEncoder)),
                "language": _language_of(organization, language),
            },
        )
        if not created:
            return replay_of(
                notification,
                stored,
                [
                    ("recipient", notification.recipient == recipient),
                    ("template", notification.template == template),
                    ("channel", notification.channel == channel),
                    ("organization", notification.organization_id == organization_id),
                ],
            )
        dispatch_on_commit(notification.pk)
    return mark_replay(notification, False)


def dispatch_on_commit(notification_id: int, *, countdown: float | None = None) -> None:
    """Queue the send after commit; a broker that is away is logged and left to the sweeper."""
    enqueue_swept_on_commit(SEND_TASK, notification_id, countdown=countdown)


def dispatch(notification_id: int, *, countdown: float | None = None) -> None:
    """Queue the send task now (named, not imported: tasks sit above mechanisms)."""
    current_app.send_task(SEND_TASK, args=[notification_id], countdown=countdown)


def notification_send(notification_id: int, *, now=None) -> Notification | None:
    """Send a queued notification through its channel's transport, once; record the outcome. Safe to run
    any number of times, side by side: the row is locked, and only a queued, due notification is sent."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != Notification.Status.QUEUED:
            return notification
        moment = now or timezone.now()
        if notification.next_attempt_at is not None and notification.next_attempt_at > moment:
            return notification  # its retry is queued for later
        notification.attempts += 1
        try:
            provider_id = transport_of(notification.channel).send(notification)
        except PermanentFailure as failure:
            _fail(notification, failure.reason)
        except Exception as error:  # TemporaryFailure, or anything a transport did not foresee
            reason = error.reason if isinstance(error, TemporaryFailure) else f"{type(error).__name__}: {error}"
            if notification.attempts >= max_attempts():
                _fail(notification, reason)
            else:
                delay = retry_delay(notification.attempts)
                notification.error = reason[:4000]
                notification.next_attempt_at = moment + delay
                dispatch_on_commit(notification_id, countdown=delay.total_seconds())
                logger.warning(
                    "notification #%s: attempt %d failed, retried in %s: %s",
                    notification_id,
                    notification.attempts,
                    delay,
                    reason,
                )
        else:
            notification.status = Notification.Status.SENT
            notification.provider_message_id = str(provider_id or "")[:255]
            notification.sent_at = timezone.now()
            notification.next_attempt_at = None
            notification.error = ""
        notification.save()
    return notification


def _fail(notification: Notification, reason: str) -> None:
    notification.status = Notification.Status.FAILED
    notification.error = reason[:4000]
    notification.failed_at = timezone.now()
    notification.next_attempt_at = None
    logger.warning("notification #%s failed: %s", notification.pk, reason)


def notification_mark_delivered(*, channel: str, provider_message_id: str, at=None) -> Notification | None:
    """A provider's callback says the message arrived: a sent notification becomes delivered (once)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(channel=channel, provider_message_id=provider_message_id)
            .order_by("pk")
            .first()
        )
        if notification is not None and notification.status == Notification.Status.SENT:
            notification.status = Notification.Status.DELIVERED
            notification.delivered_at = at or timezone.now()
            notification.save(update_fields=["status", "delivered_at"])
    return notification


def notification_retry(*, notification: Notification, user) -> Notification:
    """Queue a failed notification again with a new series of attempts (the admin's "retry"), audited."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification.pk)
        if notification.status != Notification.Status.FAILED:
            return notification
        previous_error = notification.error
        notification.status = Notification.Status.QUEUED
        notification.attempts = 0
        notification.next_attempt_at = None
        notification.failed_at = None
        notification.save(update_fields=["status", "attempts", "next_attempt_at", "failed_at"])
        audit_record(
            action="core.notification.retry",
            actor=user,
            organization=notification.organization_id,
            obj=notification,
            changes={"error": previous_error},
        )
        dispatch_on_commit(notification.pk)
    return notification


def notifications_sweep(*, now=None, grace: timedelta = SWEEP_GRACE, batch: int = SWEEP_BATCH) -> int:
    """Queue again each queued notification older than ``grace`` whose attempt is due (the beat task, every
    minute); returns how many. Sending is guarded by the row's status, so queuing too much is harmless."""
    moment = now or timezone.now()
    ids = list(
        Notification.objects.filter(status=Notification.Status.QUEUED, created_at__lte=moment - grace)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment))
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    for notification_id in ids:
        dispatch(notification_id)
    return len(ids)


register_action_labels({"core.notification.retry": _("Notification queued again")})


# --- e-mail ----------------------------------------------------------------------------------------------


class EmailTransport:
    """E-mail through Django's mail API (``EMAIL_BACKEND``, ``EMAIL_HOST``…): a text part and an HTML part.

    The Message-ID (at the host of ``SITE_URL``) is set here and returned as the provider's id, so a bounce
    or a delivery report can be matched to its notification. SMTP's 5xx refusals of the recipient or the
    message are permanent; anything else (the server away, a 4xx answer) is temporary."""

    def send(self, notification: Notification) -> str:
        rendered = notification_render(notification)
        message_id = make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient],
            headers={"Message-ID": message_id},
        )
        message.attach_alternative(rendered.html, "text/html")
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            if any(code >= 500 for code in codes):
                raise PermanentFailure(f"the mail server refused the recipient: {error.recipients}") from error
            raise TemporaryFailure(f"the mail server deferred the recipient: {error.recipients}") from error
        except smtplib.SMTPResponseException as error:
            reason = f"the mail server answered {error.smtp_code}: {error.smtp_error!r}"
            if error.smtp_code >= 500:
                raise PermanentFailure(reason) from error
            raise TemporaryFailure(reason) from error
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"the mail server could not be reached: {error}") from error
        return message_id


transport_register("email", EmailTransport())
