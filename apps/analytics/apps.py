from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = _("Traffic")

    def ready(self) -> None:
        from .audit_actions import register_analytics_action_labels
        from .dashboard import register_dashboard

        register_analytics_action_labels()
        register_dashboard()
