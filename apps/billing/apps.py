from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from .audit_actions import register_billing_action_labels

        register_billing_action_labels()
