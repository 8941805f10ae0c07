"""Dashboards on the admin home page: each domain app registers its own panel here.

A panel is a template plus a function that builds its context for the request. The admin home renders the
panels of every app in dependency order, each only for users allowed to see that app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Dashboard:
    app_label: str
    title: str
    template: str
    context: Callable[..., dict]
    order: int = 100


_registry: dict[str, Dashboard] = {}


def register(dashboard: Dashboard) -> None:
    _registry[dashboard.app_label] = dashboard


def dashboards() -> list[Dashboard]:
    return sorted(_registry.values(), key=lambda d: (d.order, d.app_label))


def _organization_panel(request) -> dict:
    """Core's own panel: members per organization and the latest audit records the user may see."""
    from django.db.models import Count

    from apps.core.selectors import audit_log_list, organization_list

    organizations = organization_list(user=request.user).annotate(member_count=Count("memberships")).order_by("name")
    return {
        "organizations": organizations[:20],
        "recent": audit_log_list(user=request.user)[:8],
    }


def register_core_dashboard() -> None:
    from django.utils.translation import gettext_lazy as _

    register(
        Dashboard(
            app_label="core",
            title=_("Organizations and activity"),
            template="admin/dashboards/core.html",
            context=_organization_panel,
            order=0,
        )
    )
