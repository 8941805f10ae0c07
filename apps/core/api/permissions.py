"""API permissions: a member may read their organizations' data; writing needs the role's power."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from apps.core.accounts.roles import write_power
from apps.core.accounts.tenancy import has_power, memberships, organization_id_of, sees_everything


class IsMember(BasePermission):
    """Authenticated, and a member of at least one organization (or a superuser).

    Unsafe methods also need the view's power (``write:<app>`` by default, or ``view.write_power``) in the
    organization of the object, or in at least one organization for a create. An API key further needs the
    ``write`` scope for unsafe methods (checked by the key principal's ``memberships``).
    """

    def _power(self, view) -> str:
        power = getattr(view, "write_power", None)
        if power:
            return power
        queryset = getattr(view, "queryset", None)
        model = getattr(queryset, "model", None)
        return write_power(model._meta.app_label) if model is not None else "write:*"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not (sees_everything(user) or memberships(user)):
            return False
        if request.method in SAFE_METHODS:
            return True
        return has_power(user, self._power(view))

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return has_power(request.user, self._power(view), organization_id_of(obj))


class PeopleOnlyForWrites(BasePermission):
    """Changes to who may act (members, API keys) and to the organization's settings need a person: an API
    key, even one that writes, must not be able to mint more keys or let someone in."""

    message = _("This change needs a person signed in, not an API key.")

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or not hasattr(request.user, "tenant_memberships")
