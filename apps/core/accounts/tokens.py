"""API credentials: access tokens, rotating refresh tokens and per-organization API keys.

- An **access token** is short-lived and self-contained: a signed object holding the user id, the login
  family and the expiry. Checking it needs no token row, only a cheap look at whether the family was revoked
  (answered by the cache, which the revocation fills; the database is asked only on a cache miss).
- A **refresh token** is opaque and single-use. Each use marks it used and issues a new pair of the same
  family (rotation). A second use of a used token means it was copied: the whole family is revoked, so the
  thief and the victim are both logged out, and every access token of that family stops working.
- An **API key** (``kon_<prefix>_<secret>``) authenticates as its organization, not as a person.

Only SHA-256 hashes of refresh tokens and API keys are stored; the plain values are shown once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in, user_login_failed
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.accounts.roles import DELETE_ORGANIZATION, MANAGE_API_KEYS, Role
from apps.core.accounts.tenancy import has_power
from apps.core.mechanisms.audit import audit_record
from apps.core.models import ApiKey, Organization, RefreshToken, User

ACCESS_TOKEN_SALT = "kontora.api.access-token"
API_KEY_PREFIX = "kon"
# last_used_at is bookkeeping, not an audit trail: writing it on every request would turn each read into a write.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)
_FAMILY_CACHE_KEY = "api:family-revoked:{family}"


class AuthError(Exception):
    """A refused credential: a stable ``code`` for programs, a translated ``message`` for people."""

    def __init__(self, code: str, message: str, status: int = 401):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_in: int
    token_type: str = "Bearer"


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- access tokens ----------------------------------------------------------------------------------------


def _access_lifetime() -> timedelta:
    return settings.API_ACCESS_TOKEN_LIFETIME


def access_token_issue(*, user: User, family: uuid.UUID) -> str:
    expires = int((timezone.now() + _access_lifetime()).timestamp())
    payload = {"u": user.pk, "f": family.hex, "e": expires}
    return signing.Signer(salt=ACCESS_TOKEN_SALT).sign_object(payload)


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    family: uuid.UUID
    expires: datetime


def access_token_verify(token: str) -> AccessClaims:
    """The claims of a valid access token; :class:`AuthError` for a forged, expired or revoked one."""
    try:
        payload = signing.Signer(salt=ACCESS_TOKEN_SALT).unsign_object(token)
        claims = AccessClaims(
            user_id=int(payload["u"]),
            family=uuid.UUID(hex=payload["f"]),
            expires=datetime.fromtimestamp(int(payload["e"]), tz=UTC),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise AuthError("token_invalid", _("The access token is not valid.")) from error
    if claims.expires <= timezone.now():
        raise AuthError("token_expired", _("The access token has expired; use the refresh token to get a new one."))
    if family_is_revoked(claims.family):
        raise AuthError("token_revoked", _("This login has been revoked; sign in again."))
    return claims


def family_is_revoked(family: uuid.UUID) -> bool:
    key = _FAMILY_CACHE_KEY.format(family=family.hex)
    cached = cache.get(key)
    if cached is not None:
        return bool(cached)
    revoked = RefreshToken.objects.filter(family=family, revoked_at__isnull=False).exists()
    # add, not set: a revocation that lands between the query and this line has already written True,
    # and must not be overwritten by the stale False.
    cache.add(key, revoked, timeout=int(_access_lifetime().total_seconds()) + 60)
    return revoked


def _remember_family_revoked(family: uuid.UUID) -> None:
    key = _FAMILY_CACHE_KEY.format(family=family.hex)
    cache.set(key, True, timeout=int(_access_lifetime().total_seconds()) + 60)


# --- refresh tokens ---------------------------------------------------------------------------------------


def _refresh_token_create(*, user: User, family: uuid.UUID, user_agent: str) -> str:
    plain = secrets.token_urlsafe(32)
    RefreshToken.objects.create(
        user=user,
        family=family,
        token_hash=hash_secret(plain),
        expires_at=timezone.now() + settings.API_REFRESH_TOKEN_LIFETIME,
        user_agent=user_agent[:200],
    )
    return plain


def _pair(*, user: User, family: uuid.UUID, user_agent: str) -> TokenPair:
    return TokenPair(
        access=access_token_issue(user=user, family=family),
        refresh=_refresh_token_create(user=user, family=family, user_agent=user_agent),
        access_expires_in=int(_access_lifetime().total_seconds()),
    )


def _family_revoke(family: uuid.UUID) -> int:
    count = RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=timezone.now())
    transaction.on_commit(lambda: _remember_family_revoked(family))
    return count


def _email_verified(user: User) -> bool:
    """Whether the user may sign in as far as the e-mail address goes: the same rule as the sign-in page
    (ACCOUNT_EMAIL_VERIFICATION, "mandatory" unless the environment says otherwise)."""
    from allauth.account import app_settings as account_settings
    from allauth.account.models import EmailAddress

    if account_settings.EMAIL_VERIFICATION != account_settings.EmailVerificationMethod.MANDATORY:
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def _refuse_unmet_mfa_requirement(user: User) -> None:
    from apps.core.accounts.mfa import mfa_requirement  # the same rule as the web pages and the admin

    requirement = mfa_requirement(user)
    if requirement.unmet:
        raise AuthError("mfa_required", requirement.message(), 403)


def _totp_authenticator(user: User):
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()


def _check_otp(user: User, otp: str) -> bool:
    """A current TOTP code, or one unused recovery code (which is then spent)."""
    from allauth.mfa.models import Authenticator

    code = otp.strip().replace(" ", "")
    if not code:
        return False
    for authenticator in Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
    ).order_by("type"):
        if authenticator.wrap().validate_code(code):
            authenticator.record_usage()
            return True
    return False


def _login_failed(request, email: str) -> None:
    # Counted by django-axes like a wrong password, so an OTP cannot be guessed faster than a password.
    user_login_failed.send(sender=__name__, credentials={"email": email}, request=request)


def _refuse_locked_out(request) -> None:
    if getattr(request, "axes_locked_out", False):
        raise AuthError(
            "locked_out", _("Too many failed sign-in attempts. Try again later or ask an administrator."), 429
        )


@transaction.atomic
def token_pair_issue(*, user: User, user_agent: str = "") -> TokenPair:
    """A new login (family) for ``user``, whose credentials the caller has checked."""
    family = uuid.uuid4()
    pair = _pair(user=user, family=family, user_agent=user_agent)
    audit_record(action="auth.token_obtain", actor=user, changes={"family": family.hex, "client": user_agent[:200]})
    return pair


def token_obtain(*, request, email: str, password: str, otp: str = "", user_agent: str = "") -> TokenPair:
    """Sign in with e-mail, password and (when the user has an authenticator) a one-time code.

    ``request`` is the Django ``HttpRequest``: django-axes counts failures and locks out per user and address
    through it, exactly as on the sign-in page.
    """
    email = email.strip().lower()
    user = authenticate(request=request, email=email, password=password)
    if user is None:
        _refuse_locked_out(request)
        raise AuthError("invalid_credentials", _("The e-mail address or the password is wrong."))
    if not _email_verified(user):
        raise AuthError("email_unverified", _("Confirm your e-mail address first: follow the link we sent to it."), 403)
    totp = _totp_authenticator(user)
    if totp is not None:
        if not otp:
            raise AuthError("otp_required", _("Enter the code from your authenticator app (or a recovery code)."))
        if not _check_otp(user, otp):
            _login_failed(request, email)
            _refuse_locked_out(request)
            raise AuthError("otp_invalid", _("The one-time code is wrong or has already been used."))
    else:
        _refuse_unmet_mfa_requirement(user)
    pair = token_pair_issue(user=user, user_agent=user_agent)
    # Updates last_login and lets django-axes log the success (and reset the user's failure count).
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return pair


def token_refresh(*, refresh: str, user_agent: str = "") -> TokenPair:
    """Rotate: mark ``refresh`` used and issue a new pair of its family. A reused token revokes the family."""
    now = timezone.now()
    with transaction.atomic():
        # The row lock makes two concurrent refreshes of one token queue up: the second one sees used_at set.
        token = (
            RefreshToken.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(token_hash=hash_secret(refresh or ""))
            .first()
        )
        if token is None:
            raise AuthError("token_invalid", _("The refresh token is not valid."))
        if token.revoked_at is not None:
            raise AuthError("token_revoked", _("This login has been revoked; sign in again."))
        if token.used_at is not None:
            _family_revoke(token.family)
            audit_record(action="auth.token_reuse", actor=token.user, changes={"family": token.family.hex})
        elif token.expires_at <= now:
            raise AuthError("token_expired", _("The refresh token has expired; sign in again."))
        elif not token.user.is_active:
            raise AuthError("token_invalid", _("The refresh token is not valid."))
        else:
            # An organization may have turned the requirement on after this login: the login cannot outlive it.
            _refuse_unmet_mfa_requirement(token.user)
            token.used_at = now
            token.save(update_fields=["used_at"])
            return _pair(user=token.user, family=token.family, user_agent=user_agent or token.user_agent)
    # Only a reused token gets here. Raised after the block so that the family's revocation is committed,
    # not rolled back with the error.
    raise AuthError(
        "token_reused",
        _("This refresh token was already used. For safety, this login has been revoked; sign in again."),
    )


@transaction.atomic
def token_revoke(*, refresh: str) -> None:
    """Log out: revoke the family of ``refresh`` (its refresh tokens and the access tokens it issued)."""
    token = RefreshToken.objects.select_related("user").filter(token_hash=hash_secret(refresh or "")).first()
    if token is None:
        raise AuthError("token_invalid", _("The refresh token is not valid."))
    if _family_revoke(token.family):
        audit_record(action="auth.token_revoke", actor=token.user, changes={"family": token.family.hex})


@transaction.atomic
def refresh_family_revoke(*, family: uuid.UUID, by=None) -> int:
    """Revoke one login family (from the admin); returns how many live refresh tokens it had."""
    count = _family_revoke(family)
    if count:
        audit_record(action="auth.token_revoke", actor=by, changes={"family": family.hex})
    return count


def refresh_tokens_revoke_for_user(*, user_id: int, reason: str) -> int:
    """Revoke every API login of a user (their password changed, or they were deactivated)."""
    families = list(
        RefreshToken.objects.filter(user_id=user_id, revoked_at__isnull=True)
        .values_list("family", flat=True)
        .distinct()
    )
    count = sum(_family_revoke(family) for family in families)
    if count:
        audit_record(action="auth.token_revoke_all", actor=None, changes={"user": user_id, "reason": reason})
    return count


# --- API keys ---------------------------------------------------------------------------------------------


class ApiKeyPrincipal:
    """Who a request is when it carries an API key: the key's organization, not a person.

    It reads that organization's data; it writes only with the ``write`` scope, and then as ``role``
    (see ``apps.core.accounts.tenancy.memberships``, which asks :meth:`tenant_memberships`).
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.organization_id = api_key.organization_id
        self.throttle_ident = f"apikey:{api_key.pk}"

    def tenant_memberships(self) -> dict[int, str]:
        # A read-only key acts as a viewer: every member may read, and a viewer may change nothing.
        role = self.api_key.role if ApiKey.Scope.WRITE in self.api_key.scopes else Role.VIEWER
        return {self.organization_id: role}

    def get_username(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return _("API key {name}").format(name=self.api_key)


def is_api_key_principal(user) -> bool:
    return isinstance(user, ApiKeyPrincipal)


def api_key_check(
    *,
    organization: Organization,
    name: str,
    scopes: list[str],
    role: str,
    expires_at: datetime | None,
    by: User | None,
) -> None:
    """The rules of a new key (also run by the admin form before it saves, to show them next to the fields)."""
    if by is not None:
        if is_api_key_principal(by):
            raise PermissionDenied(_("API keys are managed by people, not by other API keys."))
        if not has_power(by, MANAGE_API_KEYS, organization.pk):
            raise PermissionDenied(
                _("Your role in {organization} does not allow managing API keys.").format(organization=organization)
            )
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the key a name, so you know later what uses it.")
    if not scopes:
        errors["scopes"] = _("Choose at least one scope: read, or read and write.")
    unknown = sorted(set(scopes) - set(ApiKey.Scope.values))
    if unknown:
        errors["scopes"] = _("Unknown scope {scope}; the scopes are read and write.").format(scope=", ".join(unknown))
    if role not in Role.values:
        errors["role"] = _("Unknown role {role}.").format(role=role)
    elif role == Role.OWNER and by is not None and not has_power(by, DELETE_ORGANIZATION, organization.pk):
        errors["role"] = _("Only an owner can create a key that acts as an owner.")
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = _("The expiry must be in the future.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def api_key_create(
    *,
    organization: Organization,
    name: str,
    scopes: list[str],
    role: str = Role.VIEWER,
    expires_at: datetime | None = None,
    by: User | None,
) -> tuple[ApiKey, str]:
    """Create a key of ``organization``; returns it and the plain key, which is never shown again."""
    scopes = list(scopes)
    api_key_check(organization=organization, name=name, scopes=scopes, role=role, expires_at=expires_at, by=by)
    if ApiKey.Scope.WRITE in scopes:  # writing implies reading
        scopes.append(ApiKey.Scope.READ)
    prefix = secrets.token_hex(6)
    plain = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        organization=organization,
        name=name.strip(),
        prefix=prefix,
        key_hash=hash_secret(plain),
        scopes=sorted(set(scopes)),
        role=role,
        created_by=by,
        expires_at=expires_at,
    )
    audit_record(
        action="api_key.create",
        actor=by,
        organization=organization,
        obj=api_key,
        changes={
            "scopes": api_key.scopes,
            "role": role,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return api_key, plain


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, by: User | None) -> ApiKey:
    """Revoke a key at once; revoking a revoked key changes nothing."""
    api_key = ApiKey.objects.select_for_update(of=("self",)).select_related("organization").get(pk=api_key.pk)
    if by is not None:
        if is_api_key_principal(by):
            raise PermissionDenied(_("API keys are managed by people, not by other API keys."))
        if not has_power(by, MANAGE_API_KEYS, api_key.organization_id):
            raise PermissionDenied(
                _("Your role in {organization} does not allow managing API keys.").format(
                    organization=api_key.organization
                )
            )
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(action="api_key.revoke", actor=by, organization=api_key.organization_id, obj=api_key)
    return api_key


def api_key_authenticate(raw: str) -> ApiKeyPrincipal:
    """The principal of a valid key; :class:`AuthError` for an unknown, revoked or expired one."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        raise AuthError("api_key_invalid", _("The API key is not valid."))
    api_key = ApiKey.objects.filter(key_hash=hash_secret(raw)).first()
    if api_key is None:
        raise AuthError("api_key_invalid", _("The API key is not valid."))
    now = timezone.now()
    if api_key.revoked_at is not None:
        raise AuthError("api_key_revoked", _("This API key has been revoked."))
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise AuthError("api_key_expired", _("This API key has expired."))
    if api_key.last_used_at is None or api_key.last_used_at <= now - API_KEY_TOUCH_INTERVAL:
        # Conditional, so that concurrent requests of one key write it once.
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - API_KEY_TOUCH_INTERVAL)
        ).update(last_used_at=now)
        api_key.last_used_at = now
    return ApiKeyPrincipal(api_key)
