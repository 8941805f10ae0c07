from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"
    verbose_name = _("Books")

    def ready(self) -> None:
        from .audit_actions import register_ledger_action_labels
        from .dashboard import register_dashboard

        register_dashboard()
        register_ledger_action_labels()
