"""Housekeeping of core data, run by periodic tasks (``apps.core.tasks``) or by hand."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from apps.core.models import RefreshToken

logger = logging.getLogger(__name__)

# Expired refresh tokens are kept a little longer so that a late attempt to use one is still recognised
# (and answered as "expired") rather than as an unknown token.
REFRESH_TOKEN_GRACE = timedelta(days=1)
PURGE_BATCH_SIZE = 5000


def refresh_token_purge_expired(*, now: datetime | None = None, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete the refresh tokens that expired more than a day ago; return how many were deleted.

    A token stays while a younger token of its login family is still alive (not expired a day ago): reuse
    detection needs it, because presenting an already-used token of a live family is the sign of theft that
    revokes the family (``apps.core.accounts.tokens.token_refresh``). Once the whole family is past, all of it goes.

    Idempotent: a second run (or two at once) finds nothing more to delete. Rows go in batches, so a large
    backlog never holds long locks on the table.
    """
    cutoff = (now or timezone.now()) - REFRESH_TOKEN_GRACE
    live_families = RefreshToken.objects.filter(expires_at__gte=cutoff).values("family")
    expired = (
        RefreshToken.objects.filter(expires_at__lt=cutoff)
        .exclude(family__in=live_families)
        .order_by()
        .values_list("pk", flat=True)
    )
    total = 0
    while True:
        batch = list(expired[:batch_size])
        if not batch:
            break
        _, per_model = RefreshToken.objects.filter(pk__in=batch).delete()
        total += per_model.get(RefreshToken._meta.label, 0)
    if total:
        logger.info("Purged %d expired refresh tokens (expired before %s)", total, cutoff.isoformat())
    return total
