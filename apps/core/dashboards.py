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
