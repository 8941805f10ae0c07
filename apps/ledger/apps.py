from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "apps.ledger"
    label = "ledger"
    verbose_name = _("Books")

    def ready(self) -> None:
        from .dashboard import register_dashboard

        register_dashboard()
