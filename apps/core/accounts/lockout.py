"""Brute-force protection with django-axes: who a login attempt is for, and what a locked-out client sees.

Every login path ends in ``django.contrib.auth.authenticate`` (allauth's login and reauthentication, and so
the admin, which signs in through allauth; the API token endpoint), where ``AxesStandaloneBackend`` refuses
a locked-out user+address pair before any password is checked. The second factor of a login is counted
too (see :mod:`apps.core.accounts.mfa`).

A pair is unlocked when ``AXES_COOLOFF_TIME`` has passed since its last failure, when it signs in
successfully, or by an administrator (admin "Access attempts", ``manage.py axes_reset_username``).
"""

from __future__ import annotations

import math
from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.db.models import Max
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext, ngettext

# The keys a login may arrive under: allauth's form ("login"; axes itself also files the signed-in user's
# name under it, AXES_USERNAME_FORM_FIELD), allauth's credentials and the API's ("email").
_LOGIN_KEYS = ("login", "email", "username")


def normalize_login(value) -> str | None:
    """E-mail addresses are stored lowercase; counting "A@x.com" and "a@x.com" apart would let an attacker
    multiply their attempts by varying the case."""
    if not value:
        return None
    return str(value).strip().lower() or None


def username_from_request(request: HttpRequest, credentials: dict | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the login an attempt is for, from the credentials, else the posted form."""
    for source in (credentials or {}, getattr(request, "POST", None) or {}):
        for key in _LOGIN_KEYS:
            login = normalize_login(source.get(key))
            if login:
                return login
    return None


def login_succeeded(request: HttpRequest, user) -> None:
    """Tell axes about a successful password login that did not go through ``django.contrib.auth.login``
    (the API token endpoint): it resets the failure counter of this user+address, as a web login does."""
    AxesProxyHandler.user_logged_in(sender=login_succeeded, request=request, user=user)


def seconds_until_unlock(request: HttpRequest, credentials: dict | None) -> int | None:
    """Seconds until the cool-off of this user+address pair ends; ``None`` when only an admin can unlock."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return None
    username = username_from_request(request, credentials)
    ip_address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    last_failure = AccessAttempt.objects.filter(username=username, ip_address=ip_address).aggregate(
        last=Max("attempt_time")
    )["last"]
    remaining = cool_off if last_failure is None else last_failure + cool_off - timezone.now()
    return max(1, math.ceil(remaining / timedelta(seconds=1)))


def lockout_message(retry_after: int | None) -> str:
    if retry_after is None:
        return gettext(
            "Too many failed sign-in attempts: this account is locked on this device. An administrator can unlock it."
        )
    minutes = math.ceil(retry_after / 60)
    return ngettext(
        "Too many failed sign-in attempts: this account is temporarily locked on this device. "
        "Try again in {minutes} minute, or ask an administrator to unlock it.",
        "Too many failed sign-in attempts: this account is temporarily locked on this device. "
        "Try again in {minutes} minutes, or ask an administrator to unlock it.",
        minutes,
    ).format(minutes=minutes)


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: JSON 429 for the API, a page in the site layout for everything else."""
    retry_after = seconds_until_unlock(request, credentials)
    if request.path.startswith("/api/"):
        body = {"code": "locked_out", "message": lockout_message(retry_after), "retry_after": retry_after}
        response = JsonResponse({"error": body}, status=429)
    else:
        context = {
            "retry_after": retry_after,
            "retry_minutes": math.ceil(retry_after / 60) if retry_after else None,
        }
        response = render(request, "account/lockout.html", context, status=429)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@receiver(user_locked_out, dispatch_uid="kontora_lockout_reaches_django_request")
def _mark_django_request(sender, request=None, **kwargs) -> None:
    """A DRF view passes its own ``Request`` to ``authenticate``; axes flags that wrapper, but AxesMiddleware
    looks at the Django request underneath. Copy the flag down so API lockouts get the 429 response too.

    Connected on import of this module, which axes does (AXES_USERNAME_CALLABLE) before it can send
    ``user_locked_out``.
    """
    django_request = getattr(request, "_request", None)
    if isinstance(django_request, HttpRequest):
        django_request.axes_locked_out = True
        django_request.axes_credentials = getattr(request, "axes_credentials", None)
        django_request.axes_ip_address = getattr(request, "axes_ip_address", None)
