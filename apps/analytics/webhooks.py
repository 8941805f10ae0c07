"""Trackers' server-to-server postbacks, taken through core's webhook inbox (apps.core.mechanisms.webhooks) as
the source ``analytics.postback``, at ``/analytics/postback/<public id>/?token=…`` (GET, as trackers send
them, or POST with a form or JSON body).

- The verifier finds the endpoint by its public id, checks the token (constant time, against the stored
  digest), reads the parameters (``apps.analytics.postbacks``) and refuses, with the reason stored on the
  delivery, a postback whose values cannot be read. It writes nothing.
- The event id is ``<traffic source id>:<transaction id>:<status>``: a tracker's retry is a duplicate, a
  status change (pending → approved) is a new event. The payload keeps what was read (never the token).
- The handler, in Celery, applies it with ``postback_conversion_apply``, which moves a status forward only.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from apps.core.mechanisms.webhooks import (
    Incoming,
    Verified,
    WebhookRejected,
    webhook_receive,
    webhook_source_register,
)

from .models import TrafficSource
from .postbacks import Postback, PostbackInvalid, postback_read
from .selectors import postback_endpoint_get
from .services.postbacks import postback_conversion_apply, token_matches

SOURCE = "analytics.postback"
TOKEN_PARAMETER = "token"
# A long transaction id is hashed into the event id, which the inbox keeps to 255 characters.
_EVENT_ID_ROOM = 200


def _parameters(incoming: Incoming) -> dict[str, str]:
    """The query's parameters, and then the body's (a form or a JSON object), the first value of each."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(incoming.query, keep_blank_values=True):
        params.setdefault(name, value)
    body = incoming.body.strip()
    if not body:
        return params
    if incoming.header("Content-Type").lower().startswith("multipart/"):
        raise WebhookRejected(_("Send the postback's parameters in the query, as a form (urlencoded) or as JSON."))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRejected(_("The postback's body is not UTF-8 text.")) from None
    if text.startswith("{"):
        try:
            # Numbers are kept as the text JSON wrote them: never through a float into an amount.
            data = json.loads(text, parse_float=str, parse_int=str)
        except ValueError:
            raise WebhookRejected(_("The postback's body is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise WebhookRejected(_("The postback's body is not a JSON object."))
        for name, value in data.items():
            if isinstance(value, str):
                params.setdefault(str(name), value)
        return params
    for name, value in parse_qsl(text, keep_blank_values=True):
        params.setdefault(name, value)
    return params


def _event_id(source_id: int, postback: Postback) -> str:
    transaction_id = postback.transaction_id
    if len(transaction_id) > _EVENT_ID_ROOM:
        transaction_id = "sha256:" + hashlib.sha256(transaction_id.encode()).hexdigest()
    return f"{source_id}:{transaction_id}:{postback.status[:40]}"


def verify(incoming: Incoming) -> Verified:
    endpoint = postback_endpoint_get(public_id=incoming.endpoint) if incoming.endpoint else None
    if endpoint is None:
        raise WebhookRejected(_("No postback endpoint has this address."))
    params = _parameters(incoming)
    if not token_matches(endpoint, params.pop(TOKEN_PARAMETER, "")):
        raise WebhookRejected(_("The postback's token does not match the endpoint's."))
    if not endpoint.is_active:
        raise WebhookRejected(_("The postback endpoint is switched off."))
    try:
        postback = postback_read(params)
    except PostbackInvalid as error:
        raise WebhookRejected(str(error)) from None
    return Verified(
        event_id=_event_id(endpoint.source_id, postback),
        event_type=postback.status[:128],
        organization=endpoint.organization_id,
        payload={"endpoint": endpoint.pk, "source": endpoint.source_id, "postback": postback.as_payload()},
    )


def handle(delivery) -> None:
    source = TrafficSource.objects.get(pk=delivery.payload["source"])
    postback = Postback.from_payload(delivery.payload["postback"])
    postback_conversion_apply(source=source, postback=postback, received_at=delivery.received_at)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@transaction.non_atomic_requests
def postback_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """The inbox's intake for a tracker: GET or POST, answered ``OK`` (a tiny body) once stored and verified,
    or as a duplicate; the work is done in Celery."""
    response = webhook_receive(request, source=SOURCE, endpoint=public_id)
    if response.status_code == 200:
        return HttpResponse("OK", content_type="text/plain")
    return response


def webhook_sources_register() -> None:
    """Register the postback inbox (from AnalyticsConfig.ready)."""
    webhook_source_register(SOURCE, verify=verify, handle=handle, label=gettext_lazy("Tracker postbacks"))
