from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = _("Organizations and users")

    def ready(self) -> None:
        from django.core import checks

        from apps.core import signals  # noqa: F401  (connects the receivers)
        from apps.core.admin_kit.dashboards import register_core_dashboard
        from apps.core.language.formatting import install_admin_number_display
        from apps.core.language.third_party_nouns import register_third_party_nouns
        from apps.core.mechanisms import notifications  # noqa: F401  (registers the e-mail transport)
        from apps.core.operations.database_roles import database_roles_check

        checks.register(database_roles_check, "kontora", deploy=True)
        register_core_dashboard()
        register_third_party_nouns()
        install_admin_number_display()


class KontoraAdminConfig(admin_apps.AdminConfig):
    """The admin, with Kontora's site: members of organizations work here, scoped to their organizations."""

    default = False  # named explicitly in INSTALLED_APPS; apps.core itself means CoreConfig
    default_site = "apps.core.admin_kit.site.KontoraAdminSite"
