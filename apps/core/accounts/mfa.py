"""Two-factor authentication (allauth.mfa: an authenticator app plus recovery codes) and the organization rule.

An organization with ``require_mfa`` lets its members work only once they have an authenticator app
(``OrganizationMfaMiddleware`` sends them to set one up, and they cannot deactivate it while the rule holds).
The code asked for at sign-in counts towards the same brute-force lockout as the password.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from allauth.mfa.models import Authenticator
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db.models import Exists
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.accounts.lockout import lockout_message, seconds_until_unlock
from apps.core.models import Organization


@dataclass(frozen=True)
class MfaRequirement:
    """The organizations of a user that require two-factor authentication, and whether the user has it."""

    organizations: tuple[str, ...]
    has_totp: bool

    @property
    def unmet(self) -> bool:
        return bool(self.organizations) and not self.has_totp

    def message(self) -> str:
        names = ", ".join(f"“{name}”" for name in self.organizations)
        return ngettext(
            "The organization {names} requires two-factor authentication. "
            "Set up an authenticator app to continue working.",
            "The organizations {names} require two-factor authentication. "
            "Set up an authenticator app to continue working.",
            len(self.organizations),
        ).format(names=names)


def mfa_requirement(user) -> MfaRequirement:
    """One query: the names of the user's organizations with ``require_mfa``, each row also telling
    whether the user has an active authenticator app."""
    has_totp = Exists(Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP))
    rows = list(
        Organization.objects.filter(require_mfa=True, memberships__user_id=user.pk)
        .annotate(has_totp=has_totp)
        .order_by("name")
        .values_list("name", "has_totp")
    )
    return MfaRequirement(organizations=tuple(row[0] for row in rows), has_totp=bool(rows and rows[0][1]))


class MfaAdapter(DefaultMFAAdapter):
    """``MFA_ADAPTER``: refuses to deactivate the authenticator app while an organization requires it."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "An organization you belong to requires two-factor authentication, so the authenticator app "
            "cannot be deactivated."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type != Authenticator.Type.TOTP:
            return True
        return not mfa_requirement(authenticator.user).organizations


class AuthenticateForm(AllauthAuthenticateForm):
    """The sign-in code step (``MFA_FORMS["authenticate"]``), under the same lockout as the password.

    Without this, someone who knows a password could guess six-digit codes without limit: axes only sees
    ``authenticate()``, and allauth's limit on failed logins is off (ACCOUNT_RATE_LIMITS) in favour of axes.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _(
            "No access to your authenticator app? Enter one of your recovery codes instead."
        )

    def clean_code(self) -> str:
        request = context.request
        credentials = {"email": self.user.email}
        if not AxesProxyHandler.is_allowed(request, credentials):
            # AxesMiddleware turns the flagged request into the lockout page.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            raise ValidationError(lockout_message(seconds_until_unlock(request, credentials)), code="locked_out")
        try:
            return super().clean_code()
        except ValidationError:
            user_login_failed.send(sender=type(self), credentials=credentials, request=request)
            raise
