from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from .audit_actions import register_billing_action_labels
        from .webhooks import webhook_sources_register

        register_billing_action_labels()
        webhook_sources_register()
