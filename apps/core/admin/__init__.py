"""The admin of core's own models (what every app's admin is built on is in ``apps.core.admin_kit``)."""

from apps.core.admin import accounts, mechanisms, money, outbox  # noqa: F401  (they register the ModelAdmins)
