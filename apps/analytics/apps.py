from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = _("Traffic")

    def ready(self) -> None:
        from .audit_actions import register_analytics_action_labels
        from .dashboard import register_dashboard
        from .webhooks import webhook_sources_register

        register_analytics_action_labels()
        webhook_sources_register()
        register_dashboard()
