"""What billing's admin modules share: a read-only admin whose pages call services, and money in the locale's
format."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.admin_kit.base import KontoraModelAdmin
from apps.core.language.formatting import format_money

from ..providers import ProviderError


def money(amount, currency) -> str:
    if amount is None:
        return "—"
    return format_money(amount, currency)


def provider_refusal(error: ProviderError) -> str:
    if error.temporary:
        return _("The provider could not be reached; try again in a minute. ({reason})").format(reason=error)
    return _("The provider refused: {reason}").format(reason=error)


class _Titled:
    """A row as the change page names it (breadcrumbs, subtitle), everything else read from the row itself."""

    def __init__(self, obj, title: str):
        self._obj, self._title = obj, title

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return self._title


class ReadOnlyAdmin(KontoraModelAdmin):
    """Rows that only services write: listed and shown, never added, changed or deleted here. Pages that act
    on a row (``post_action``) need the billing write power in the row's organization."""

    actions = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def object_title(self, obj) -> str | None:
        """The row's name on its page when its ``__str__`` is written for a machine (ISO dates, raw amounts)."""
        return None

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        title = self.object_title(obj) if obj is not None else None
        if title:
            context["original"] = _Titled(obj, title)
            context["subtitle"] = title
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def may_act(self, request, obj=None) -> bool:
        return KontoraModelAdmin._may_write(self, request, obj)

    def acted_on(self, request, object_id):
        """The row a POST acts on, after the checks every action page makes (404 for another organization's)."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.may_act(request, obj):
            raise PermissionDenied
        return obj

    def post_action(self, request, object_id, call, done_message):
        """Run ``call(obj)`` (a service) for a POST; show the service's refusal or ``done_message``."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.acted_on(request, object_id)
        try:
            call(obj)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        except PermissionDenied as error:
            self.message_user(request, str(error) or _("Your role does not allow this change."), messages.ERROR)
        except ProviderError as error:
            self.message_user(request, provider_refusal(error), messages.ERROR)
        else:
            self.message_user(request, done_message, messages.SUCCESS)
        opts = self.opts
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
