"""What a tracker's server-to-server postback says, read from its parameters: pure Python, no database.

Trackers name the same things differently; each name below is the parameter one of them sends (their
postback documentation):

- Keitaro: ``subid`` (its click id), ``tid`` (transaction id), ``status`` (``lead``, ``sale``, ``rejected``,
  ``rebill``), ``payout`` or ``revenue``, ``currency``;
- Binom: ``cnv_id`` (click id), ``payout``, ``cnv_status``, ``cnv_currency``, ``txid``;
- Voluum: ``cid`` (click id), ``payout``, ``txid``, ``currency``, ``et`` (the custom conversion type, our event).

A status is brought to one of four (:data:`PENDING`, :data:`APPROVED`, :data:`REJECTED` and a status we do
not know, kept as the tracker wrote it), each with a rank: a conversion only moves forward (pending → approved
→ rejected, as Keitaro's own transitions), so a late retry of "pending" never undoes "approved". A status we
do not know ranks with pending.

The transaction id is what de-duplicates: when the tracker sends none, the click id stands for it (with the
event, when there is one), so one click converts once per event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .formats.values import Bad, is_known_currency, read_country, read_currency, read_os

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"

# Our field: the parameter names trackers use for it, the first found wins.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "click_id": ("click_id", "clickid", "subid", "cnv_id", "cid"),
    "transaction_id": ("transaction_id", "tid", "txid"),
    "status": ("status", "cnv_status"),
    "payout": ("payout", "revenue", "sum"),
    "currency": ("currency", "cnv_currency"),
    "event": ("event", "et", "goal"),
    "campaign_id": ("campaign_id",),
    "campaign_name": ("campaign_name",),
    "country": ("country", "country_code"),
    "os": ("os",),
    "sub_id": ("sub_id", "sub_id_1"),
    "conversion_time": ("conversion_time", "ts", "timestamp"),
}

# What trackers write, as ours. Keitaro: lead, sale, rejected, rebill; Binom and Voluum: whatever the network
# sends (hold, approve, decline, trash…).
STATUS_WORDS = {
    PENDING: ("pending", "lead", "hold", "on_hold", "wait", "waiting", "processing", "new", "pre_approved"),
    APPROVED: ("approved", "approve", "sale", "rebill", "confirmed", "paid", "accepted", "success"),
    REJECTED: ("rejected", "reject", "declined", "decline", "canceled", "cancelled", "cancel", "trash", "fake"),
}
_CANONICAL = {word: status for status, words in STATUS_WORDS.items() for word in words}
RANKS = {PENDING: 1, APPROVED: 2, REJECTED: 3}

# Wider than the Conversion columns allow is refused rather than cut: a cut id would merge two conversions.
MAX_TEXT = 255
# NUMERIC(28, 8): 20 digits before the point.
MAX_PAYOUT = Decimal(10) ** 20


class PostbackInvalid(ValueError):
    """The postback cannot be applied; the message says which parameter and why."""


@dataclass(frozen=True)
class Postback:
    """One conversion as a postback reports it, in our terms. ``payout`` is None when the postback sends none
    (the stored payout is then left as it is); ``currency`` is "" when it names none."""

    transaction_id: str
    click_id: str
    status: str
    event: str
    payout: Decimal | None
    currency: str
    campaign_id: str
    campaign_name: str
    country: str
    os: str
    sub_id: str
    conversion_time: dt.datetime | None

    def as_payload(self) -> dict:
        """As JSON for the webhook delivery (amounts as text, never float)."""
        data = asdict(self)
        data["payout"] = None if self.payout is None else str(self.payout)
        data["conversion_time"] = None if self.conversion_time is None else self.conversion_time.isoformat()
        return data

    @classmethod
    def from_payload(cls, data: dict) -> Postback:
        values = dict(data)
        values["payout"] = None if values.get("payout") is None else Decimal(values["payout"])
        when = values.get("conversion_time")
        values["conversion_time"] = dt.datetime.fromisoformat(when) if when else None
        return cls(**values)


def status_of(raw: str) -> str:
    """Our status for what a tracker wrote: pending, approved, rejected, or the word itself in lower case."""
    text = (raw or "").strip().casefold().replace(" ", "_").replace("-", "_")
    return _CANONICAL.get(text, text)


def status_rank(status: str) -> int:
    """How far along a status is; a status we do not know ranks with pending."""
    return RANKS.get(status_of(status), RANKS[PENDING])


def _first(params: dict[str, str], field: str) -> tuple[str, str]:
    """(parameter name, value) of the first parameter naming ``field`` that has a value; a macro the tracker
    left unfilled (``{tid}``) counts as none."""
    for name in PARAMETERS[field]:
        value = (params.get(name) or "").strip()
        if value and not (value.startswith("{") and value.endswith("}")):
            return name, value
    return PARAMETERS[field][0], ""


def _payout(name: str, raw: str) -> Decimal | None:
    if not raw:
        return None
    text = raw.replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or abs(value) >= MAX_PAYOUT:
        raise PostbackInvalid(
            _("Parameter “{name}”: “{value}” is not an amount such as 12.50.").format(name=name, value=raw[:50])
        )
    return value.quantize(Decimal("0.00000001"))


def _time(name: str, raw: str) -> dt.datetime | None:
    if not raw:
        return None
    try:
        if raw.isdigit():  # Unix time, in seconds or (13 digits) in milliseconds
            seconds = int(raw) / 1000 if len(raw) >= 13 else int(raw)
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        value = dt.datetime.fromisoformat(raw.replace(" ", "T").replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        value = None
    if value is None:
        raise PostbackInvalid(
            _("Parameter “{name}”: “{value}” is not a time (Unix seconds or 2026-05-01T12:00:00Z).").format(
                name=name, value=raw[:50]
            )
        )
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def postback_read(params: dict[str, str]) -> Postback:
    """The postback that ``params`` (query and form parameters, one value each) report; raises
    :class:`PostbackInvalid` naming the first parameter that cannot be read."""
    found = {field: _first(params, field) for field in PARAMETERS}
    for name, value in found.values():
        if len(value) > MAX_TEXT:
            raise PostbackInvalid(
                _("Parameter “{name}” is longer than {limit} characters.").format(name=name, limit=MAX_TEXT)
            )
    click_id = found["click_id"][1]
    event = found["event"][1]
    transaction_id = found["transaction_id"][1]
    if not transaction_id:
        if not click_id:
            raise PostbackInvalid(
                _("The postback names neither a transaction id (tid, txid) nor a click id (subid, cnv_id, cid).")
            )
        transaction_id = f"{click_id}:{event}" if event else click_id
        if len(transaction_id) > MAX_TEXT:
            raise PostbackInvalid(
                _("Parameter “{name}” is longer than {limit} characters.").format(name="click_id", limit=MAX_TEXT)
            )
    # No status: the tracker reports a conversion it counts (Keitaro's default is "sale").
    status = status_of(found["status"][1]) or APPROVED
    if len(status) > 64:
        raise PostbackInvalid(
            _("Parameter “{name}” is longer than {limit} characters.").format(name=found["status"][0], limit=64)
        )
    payout = _payout(*found["payout"])
    name, raw = found["currency"]
    try:
        currency = read_currency(raw)
    except Bad:
        currency = None
    if currency is None or (currency and not is_known_currency(currency)):
        raise PostbackInvalid(
            _("Parameter “{name}”: “{value}” is not a currency code such as USD.").format(name=name, value=raw[:50])
        )
    name, raw = found["country"]
    try:
        country = read_country(raw)
    except Bad:
        raise PostbackInvalid(
            _("Parameter “{name}”: “{value}” is not a country code such as DE.").format(name=name, value=raw[:50])
        ) from None
    return Postback(
        transaction_id=transaction_id,
        click_id=click_id,
        status=status,
        event=event,
        payout=payout,
        currency=currency,
        campaign_id=found["campaign_id"][1],
        campaign_name=found["campaign_name"][1],
        country=country,
        os=read_os(found["os"][1])[:32],
        sub_id=found["sub_id"][1],
        conversion_time=_time(*found["conversion_time"]),
    )
