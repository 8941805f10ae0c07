"""Request-wide middleware: the request id that ties log lines together (kept in apps.core.operations.request_id for the
code below), the organization MFA rule, the Content-Security-Policy and the API's refusal of NUL in queries."""

from __future__ import annotations

import logging
import re
import uuid

from apps.core.operations.request_id import request_id_var as _request_id

_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware:
    """Takes a sane ``X-Request-ID`` from the proxy (nginx sets one) or makes one, exposes it to every log
    record of the request and to Sentry, and echoes it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        # Anything else (too long, spaces, quotes, newlines) would let a client forge or break log lines.
        request_id = incoming if _VALID_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            _tag_sentry_scope(request_id)
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _tag_sentry_scope(request_id: str) -> None:
    # From a Sentry event to the log lines of the same request. Sentry's Django integration gives each
    # request its own isolation scope; without a DSN there is nothing to tag.
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every record: the current request's id, or "-" outside a request.

    Django logs "Not Found"/"Internal Server Error" after the middleware has returned, with the request in
    ``extra``: those records take the id from that request.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.request_id = _request_id.get() or getattr(request, "request_id", None) or "-"
        return True


class OrganizationMfaMiddleware:
    """Keeps members of an organization that requires two-factor authentication out until they set it up.

    A signed-in member of such an organization without an authenticator app is redirected to the
    activation page (web pages, the admin) or refused with 403 ``mfa_required`` (session requests to the
    API), except on the pages needed to comply. Token and API-key requests are not signed in at this point
    and pass; anonymous requests cost no query, members one.
    """

    # Views a member must reach to comply: set up the authenticator (and confirm the password first, which
    # the setup asks for), sign out, switch language; and the operational endpoints. Static files never get
    # here (WhiteNoise answers them earlier), and paths that resolve to no view are not checked.
    allowed_views = frozenset(
        {"account_logout", "account_reauthenticate", "admin:logout", "set_language", "healthz", "metrics"}
    )
    allowed_view_prefix = "mfa_"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match.view_name in self.allowed_views or (match.url_name or "").startswith(self.allowed_view_prefix):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None

        from django.contrib import messages
        from django.http import JsonResponse
        from django.shortcuts import redirect

        from apps.core.accounts.mfa import mfa_requirement

        requirement = mfa_requirement(user)
        if not requirement.unmet:
            return None
        if request.path.startswith("/api/"):
            error = {"code": "mfa_required", "message": requirement.message()}
            return JsonResponse({"error": error}, status=403)
        messages.warning(request, requirement.message())
        return redirect("mfa_activate_totp")


class ContentSecurityPolicyMiddleware:
    """Sends one Content-Security-Policy with every response: the site pages, the admin, the API (the
    browsable API and the Swagger UI at /api/docs/ included) and error pages.

    Scripts come only from this site's own files: no inline ``<script>`` or ``on…=`` handler anywhere (data
    reaches scripts through ``data-`` attributes and ``json_script``, whose ``application/json`` tags are not
    executed). Styles allow ``'unsafe-inline'``: the Django admin (change lists), the DRF browsable API and a
    few width bars use ``style`` attributes and ``<style>`` blocks, and style injection cannot run code. The
    live WebSocket (/ws/live/) is reached on the same host, ``ws:`` or ``wss:``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = content_security_policy(request)
        return response


def content_security_policy(request) -> str:
    from django.core.exceptions import DisallowedHost

    connect = ["'self'"]
    try:
        host = request.get_host()
    except DisallowedHost:  # the 400 answer to a forged Host header: no socket to allow
        host = None
    if host:
        # Older browsers do not count ws:/wss: of the same host as 'self'; naming them costs nothing.
        connect += [f"ws://{host}", f"wss://{host}"]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": connect,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class ApiQueryNulMiddleware:
    """Under /api/, a query parameter holding a NUL character is refused with the API's JSON error naming the
    parameter: PostgreSQL cannot compare text with one, so any filter given it would fail in the database.
    (Bodies get the same rule from the API's parsers, ``apps.core.api.parsers``.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and "%00" in request.META.get("QUERY_STRING", ""):
            from django.http import JsonResponse
            from django.utils.translation import gettext as _

            from apps.core.api.parsers import nul_error

            for key, values in request.GET.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    message = _("The request has invalid fields.")
                    fields = nul_error(key.replace("\x00", "\\u0000")).detail
                    body = {"code": "validation_error", "message": message, "fields": fields}
                    return JsonResponse({"error": body}, status=400)
        return self.get_response(request)
