"""The organization an API request acts for, resolved one way for every domain.

- A write names its organization by slug in the body: ``organization_field(power=…)`` accepts only the
  organizations where the requester holds that power (any other slug answers "does not exist", exactly as a
  missing one does) and defaults to the only one when the requester holds the power in just one.
- A read names it by ``?organization=<slug>`` (``organization_for``) or by id in the URL
  (``organization_named``): another organization answers 404, never 403.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers

from apps.core.accounts.tenancy import organization_ids, organizations_with_power
from apps.core.api.serializers import OrganizationSlugField
from apps.core.models import Organization


class SoleOrganization:
    """The default organization of a write: the only one where the requester holds ``power``. A requester
    holding it in several must name one (``message`` says so, in the domain's words); one holding it in none
    is refused by the permission before this runs."""

    requires_context = True

    def __init__(self, *, power: str, message):
        self.power = power
        self.message = message

    def __call__(self, field):
        request = field.context.get("request")
        writable = organizations_with_power(getattr(request, "user", None), self.power)
        if writable is not None and len(writable) == 1:
            return Organization.objects.get(pk=next(iter(writable)))
        raise serializers.ValidationError(self.message, code="required")

    def __repr__(self) -> str:  # the schema and the browsable API print defaults
        return f"SoleOrganization(power={self.power!r})"


def organization_field(*, power: str, ambiguous_message, **kwargs) -> OrganizationSlugField:
    """The ``organization`` field of a write: a slug among the requester's organizations with ``power``,
    optional for a requester who holds the power in only one."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("default", SoleOrganization(power=power, message=ambiguous_message))
    return OrganizationSlugField(power=power, **kwargs)


def organization_named(user, *, slug: str | None = None, pk=None) -> Organization:
    """One of ``user``'s organizations (a superuser's: any), by slug or id; any other answers 404."""
    visible = organization_ids(user)
    lookup = {"slug": slug} if slug else {"pk": pk}
    organization = Organization.objects.filter(**lookup).first() if (slug or pk is not None) else None
    if organization is None or (visible is not None and organization.pk not in visible):
        raise exceptions.NotFound(_("No such organization among yours."))
    return organization


def organization_for(request, slug: str | None) -> Organization:
    """The organization a read is about: the one ``slug`` names among the requester's (404 otherwise), or,
    without a slug, the requester's only organization (400 naming the field when there are several)."""
    if slug:
        return organization_named(request.user, slug=slug)
    visible = organization_ids(request.user)
    if visible is not None and len(visible) == 1:
        return Organization.objects.get(pk=next(iter(visible)))
    raise exceptions.ValidationError({"organization": [_("Choose the organization (its slug).")]})
