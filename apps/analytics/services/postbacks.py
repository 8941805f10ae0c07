"""Server-to-server postbacks of trackers: the endpoint of each traffic source (created, its token rotated,
switched off or on) and the conversions its postbacks report.

The postbacks themselves arrive through core's webhook inbox (``apps.analytics.webhooks``): stored, checked
against the endpoint's token, claimed once per (source, transaction id, status), and handled in Celery by
:func:`postback_conversion_apply`.

A conversion is the same row an imported tracker file writes (unique per source and transaction id), so an
export of the same conversions later changes nothing that the postback already said; the file pipeline's
set-based upsert is for files, a postback is one row and is written here under the row's lock, with the
status only ever moving forward (``apps.analytics.postbacks.status_rank``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.mechanisms.audit import audit_record

from ..models import Campaign, Conversion, PostbackEndpoint, TrafficSource
from ..postbacks import Postback, status_rank

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
PUBLIC_ID_BYTES = 12


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(endpoint: PostbackEndpoint, token: str) -> bool:
    """Whether ``token`` is the endpoint's, compared in constant time."""
    return bool(token) and hmac.compare_digest(token_digest(token), endpoint.token_sha256)


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def postback_endpoint_create(*, source: TrafficSource, user=None) -> tuple[PostbackEndpoint, str]:
    """Give ``source`` its postback endpoint. Returns ``(endpoint, token)``: the token is not stored and is
    never shown again. A source has one endpoint; asking for a second is refused."""
    token = _new_token()
    try:
        with transaction.atomic():
            endpoint = PostbackEndpoint.objects.create(
                organization_id=source.organization_id,
                source=source,
                public_id=secrets.token_urlsafe(PUBLIC_ID_BYTES),
                token_sha256=token_digest(token),
                token_hint=token[-4:],
            )
            audit_record(
                action="analytics.postback_endpoint.create",
                actor=user,
                organization=source.organization_id,
                obj=endpoint,
                changes={"source": source.pk, "public_id": endpoint.public_id},
            )
    except IntegrityError:
        raise ValidationError(
            {"source": _("This traffic source already has a postback endpoint: rotate its token instead.")}
        ) from None
    return endpoint, token


def postback_endpoint_rotate(*, endpoint: PostbackEndpoint, user=None) -> tuple[PostbackEndpoint, str]:
    """A new token for ``endpoint``; the old one is refused from now on. Returns ``(endpoint, token)``."""
    token = _new_token()
    with transaction.atomic():
        locked = PostbackEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.token_sha256 = token_digest(token)
        locked.token_hint = token[-4:]
        locked.rotated_at = timezone.now()
        locked.save(update_fields=["token_sha256", "token_hint", "rotated_at"])
        audit_record(
            action="analytics.postback_endpoint.rotate",
            actor=user,
            organization=locked.organization_id,
            obj=locked,
            changes={"token_hint": {"before": endpoint.token_hint, "after": locked.token_hint}},
        )
    return locked, token


def postback_endpoint_set_active(*, endpoint: PostbackEndpoint, is_active: bool, user=None) -> PostbackEndpoint:
    """Switch the endpoint on or off (off: every postback to it is refused, and nothing is written)."""
    with transaction.atomic():
        locked = PostbackEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if locked.is_active != is_active:
            locked.is_active = is_active
            locked.save(update_fields=["is_active"])
            audit_record(
                action="analytics.postback_endpoint.update",
                actor=user,
                organization=locked.organization_id,
                obj=locked,
                changes={"is_active": {"before": not is_active, "after": is_active}},
            )
    return locked


# --- conversions --------------------------------------------------------------------------------------------


def _campaign_id(source: TrafficSource, postback: Postback) -> int | None:
    """The campaign the postback names, created on first sight as the file pipeline creates it (matched by
    external id, or by the name when there is no id)."""
    if not (postback.campaign_id or postback.campaign_name):
        return None
    external_id, name = postback.campaign_id, postback.campaign_name
    if external_id:
        conflict, match = "(source_id, external_id) WHERE external_id <> ''", {"external_id": external_id}
    else:
        conflict, match = "(source_id, match_name) WHERE external_id = ''", {"external_id": "", "match_name": name}
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO analytics_campaign (organization_id, source_id, external_id, match_name, name, created_at) "
            f"VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT {conflict} DO NOTHING",
            [source.organization_id, source.pk, external_id, name, name or external_id],
        )
    return Campaign.objects.filter(source=source, **match).values_list("pk", flat=True).first()


def postback_conversion_apply(*, source: TrafficSource, postback: Postback, received_at=None) -> Conversion:
    """Record what a postback says about the conversion ``postback.transaction_id`` of ``source``.

    New: created with what the postback says (its time, or when it was received). Known: its status moves
    forward only (a retry of "pending" arriving after "approved" is left out, as is anything it says); the
    payout, currency, event, click id and cuts the postback sends replace the stored ones. Idempotent: the
    same postback applied again changes nothing."""
    with transaction.atomic():
        campaign_id = _campaign_id(source, postback)
        conversion = (
            Conversion.objects.select_for_update().filter(source=source, transaction_id=postback.transaction_id).first()
        )
        if conversion is None:
            try:
                with transaction.atomic():
                    return Conversion.objects.create(
                        organization_id=source.organization_id,
                        source=source,
                        campaign_id=campaign_id,
                        click_id=postback.click_id,
                        transaction_id=postback.transaction_id,
                        event=postback.event,
                        status=postback.status,
                        payout=postback.payout,
                        currency=postback.currency or source.currency,
                        conversion_time=postback.conversion_time or received_at or timezone.now(),
                        country=postback.country,
                        os=postback.os,
                        sub_id=postback.sub_id,
                    )
            except IntegrityError:  # an import wrote it meanwhile: update it instead
                conversion = Conversion.objects.select_for_update().get(
                    source=source, transaction_id=postback.transaction_id
                )
        if status_rank(postback.status) < status_rank(conversion.status):
            logger.info(
                "postbacks: %s of source %s is %s; a late %s is left out",
                postback.transaction_id,
                source.pk,
                conversion.status,
                postback.status,
            )
            return conversion
        changes = {"status": postback.status}
        if postback.payout is not None:
            changes["payout"] = postback.payout
            changes["currency"] = postback.currency or conversion.currency or source.currency
        elif postback.currency:
            changes["currency"] = postback.currency
        for name in ("click_id", "event", "country", "os", "sub_id"):
            if getattr(postback, name):
                changes[name] = getattr(postback, name)
        if campaign_id is not None:
            changes["campaign_id"] = campaign_id
        changed = [name for name, value in changes.items() if getattr(conversion, name) != value]
        if changed:
            for name in changed:
                setattr(conversion, name, changes[name])
            conversion.save(update_fields=changed)
    return conversion
