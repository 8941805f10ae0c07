"""E-mails billing sends to an organization's owners (dunning, usage warnings), through core's notifications
outbox: one notification per owner under a key of its own, so a repeat (a task run twice, a retried
transaction) sends nothing more. Each owner reads it in their own language (else the organization's)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation

from apps.core.accounts.roles import Role
from apps.core.mechanisms.idempotency import product_key
from apps.core.mechanisms.notifications import notify
from apps.core.models import Membership, Notification, Organization


def organization_owners(organization_id: int) -> list:
    """The active owners of the organization who have an e-mail address, in a stable order."""
    memberships = (
        Membership.objects.filter(organization_id=organization_id, role=Role.OWNER, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id")
    )
    return [membership.user for membership in memberships]


def _language(user, organization: Organization) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    for candidate in (getattr(user, "language", ""), organization.language, settings.LANGUAGE_CODE):
        if candidate in known:
            return candidate
    return settings.LANGUAGE_CODE


def owners_notify(
    *, organization: Organization, template: str, context: Callable[[], dict], key_parts: tuple
) -> list[Notification]:
    """Queue ``template`` for each owner in the caller's transaction, keyed ``billing:<key_parts…>:<user>``.
    ``context`` is called in each owner's language, so the words it puts in (a plan's name, a resource, a
    date) read in that language."""
    sent = []
    for user in organization_owners(organization.pk):
        language = _language(user, organization)
        with translation.override(language):
            values = context()
        sent.append(
            notify(
                recipient=user.email,
                template=template,
                context=values,
                key=product_key("billing", *key_parts, "user", user.pk),
                organization=organization,
                language=language,
            )
        )
    return sent
