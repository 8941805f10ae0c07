"""What every service of the ledger shares: a row or its id taken as an id, the acting user's id, and the
check that the acting user may change the books."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power

POSTING_REFUSED = gettext_lazy("Your role does not allow posting to these books.")


def pk(value):
    """The id of a row, or the value itself when it is already an id."""
    return getattr(value, "pk", value)


def user_id(user) -> int | None:
    """The id of the signed-in user who acts, or None (system work, an API key, an anonymous caller)."""
    found = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    return found if isinstance(found, int) else None


def require_power(user, organization_id: int, *, refused: Promise = POSTING_REFUSED, power: str | None = None) -> None:
    """Refuse (PermissionDenied, saying ``refused``) a user whose role in the organization lacks ``power``
    (by default: changing the books). ``user=None`` is system work (tasks, imports, demo data), which acts for
    the organization itself."""
    if user is None:
        return
    if not has_power(user, power or write_power("ledger"), organization_id):
        raise PermissionDenied(str(refused))
