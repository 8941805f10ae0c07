"""Idempotency keys: the one mechanism by which a write that can be repeated (a retried request, a double
click, a task run twice, a webhook delivered again) has exactly one effect.

A key lives in one of two namespaces that never meet:

- **client keys**, chosen by whoever calls us (the ``Idempotency-Key`` header, an ``idempotency_key`` field,
  the hidden key of an admin form), are stored as ``client:<key>``;
- **product keys**, made by our own code from the ids of what they stand for (``invoice:12:issue``,
  ``recurring:7:2026-05-01``, ``reversal:40``), never start with ``client:``.

So no client, however it guesses, can take a key that the product will need later. A service that stores a
key calls :func:`stored_key`: a plain string is a client's key and is namespaced; only a :class:`ProductKey`
(made by :func:`product_key`) is stored as it stands. Forgetting to mark a product key therefore fails safe.

A key met again is a replay: the service checks that the request is the one the key was first used for
(:class:`IdempotencyConflict` otherwise, which the API answers with 409), returns what the first request
made, and marks it with :func:`mark_replay`, so that its callers can tell a replay (200) from a creation
(201) without looking for themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLIENT_PREFIX = "client:"
# The longest key a client may choose (the column holds 128 characters, the namespace takes its share).
MAX_CLIENT_KEY_LENGTH = 100
MAX_STORED_KEY_LENGTH = 128
HEADER = "Idempotency-Key"


class ProductKey(str):
    """A key made by the product from its own ids: stored as it stands."""

    __slots__ = ()


class IdempotencyConflict(ValidationError):
    """The key was already used for a different request: nothing was done. The API answers 409."""

    code = "idempotency_conflict"

    def __init__(self, key: str, differences: list[str] | None = None, field: str = "idempotency_key"):
        shown = display_key(key)
        if differences:
            message = _(
                "The idempotency key {key} was already used for a different request ({differences}); nothing was "
                "done. Send a new key for a new request."
            ).format(key=shown, differences=", ".join(differences))
        else:
            message = _(
                "The idempotency key {key} was already used for a different request; nothing was done. Send a new "
                "key for a new request."
            ).format(key=shown)
        self.key = shown
        self.differences = list(differences or [])
        super().__init__({field: [ValidationError(message, code=self.code)]})


def product_key(*parts) -> ProductKey:
    """``product_key("invoice", 12, "issue")`` → ``invoice:12:issue``. The first part names what the key is
    for; the parts are our own ids (a client's key may come last, as in ``invoice-payment:12:<key>``)."""
    key = ":".join(str(part) for part in parts)
    if not parts or key.startswith(CLIENT_PREFIX) or len(key) > MAX_STORED_KEY_LENGTH:
        raise ValueError(f"not a product key: {key!r}")
    return ProductKey(key)


def clean_client_key(raw, *, field: str = "idempotency_key") -> str:
    """The client's key as sent, trimmed; a clear error when it is missing, too long or not printable text."""
    key = (raw or "").strip() if isinstance(raw, str) else ""
    if not key:
        raise ValidationError(
            {field: _("An idempotency key is required, so that a repeated request has one effect.")}, code="required"
        )
    if len(key) > MAX_CLIENT_KEY_LENGTH:
        raise ValidationError(
            {field: _("The idempotency key is longer than {n} characters.").format(n=MAX_CLIENT_KEY_LENGTH)},
            code="max_length",
        )
    if not key.isprintable():
        raise ValidationError({field: _("The idempotency key may hold printable characters only.")}, code="invalid")
    return key


def stored_key(key, *, field: str = "idempotency_key") -> str:
    """The key as stored: a :class:`ProductKey` as it stands, anything else as a client's key in its namespace."""
    if isinstance(key, ProductKey):
        return str(key)
    return CLIENT_PREFIX + clean_client_key(key, field=field)


def display_key(stored: str) -> str:
    """A stored key as a person or client knows it: a client's key without its namespace."""
    return stored[len(CLIENT_PREFIX) :] if stored.startswith(CLIENT_PREFIX) else stored


def key_lookup_values(text: str) -> list[str]:
    """The stored forms a key that someone searches for may have (their own key, or a product key)."""
    return [text, CLIENT_PREFIX + text]


def request_key(request, body_key="", *, field: str = "idempotency_key") -> str:
    """The client's key of an API request: the ``Idempotency-Key`` header or the body's field (the two must
    agree when both are sent). Returns the client's key as sent; services namespace it."""
    header = (request.headers.get(HEADER) or "").strip()
    body_key = (body_key or "").strip() if isinstance(body_key, str) else ""
    if header and body_key and header != body_key:
        raise ValidationError(
            {
                field: _("The {header} header and the {field} field differ; send one of them.").format(
                    header=HEADER, field=field
                )
            }
        )
    key = header or body_key
    if not key:
        raise ValidationError(
            {
                field: _(
                    "An idempotency key is required: send the {header} header or an {field} field, unique to this "
                    "request, so that a repeat has one effect."
                ).format(header=HEADER, field=field)
            },
            code="required",
        )
    return clean_client_key(key, field=field)


def replay_of(earlier, key: str, comparisons: Iterable[tuple[object, bool]]):
    """The answer to a key met again, the one way every service gives it: ``earlier`` (what the first request
    made) marked as a replay when the request is the one the key was first used for, that is when every
    ``(label, same)`` of ``comparisons`` is the same; else :class:`IdempotencyConflict` naming the labels that
    differ (nothing is done)."""
    differences = [str(label) for label, same in comparisons if not same]
    if differences:
        raise IdempotencyConflict(key, differences)
    return mark_replay(earlier, True)


def mark_replay(obj, replay: bool):
    """Record on a service's result whether it was made now (False) or by an earlier request (True)."""
    obj.idempotent_replay = replay
    return obj


def is_replay(obj) -> bool:
    """Whether a service's result was made by an earlier request with the same key."""
    return bool(getattr(obj, "idempotent_replay", False))
