"""Demo data for local runs: a superuser, a demo organization with members, and whatever each domain app adds.

Idempotent: running it again changes nothing that is already there. Each domain app may contribute its own
demo data with a ``demo.py`` module exposing ``seed(organization, user)``; they run in app order.
"""

from __future__ import annotations

import importlib
import os

from django.apps import apps
from django.db import transaction

from apps.core.accounts.roles import Role
from apps.core.language.text import in_language_of
from apps.core.models import Membership, Organization, User

SUPERUSER_EMAIL = "admin@kontora.local"
MEMBER_EMAIL = "demo@kontora.local"
BOOKKEEPER_EMAIL = "bookkeeper@kontora.local"
DEMO_SLUG = "demo"


def _password(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _user(email: str, password: str, **extra) -> User:
    from allauth.account.models import EmailAddress

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, **extra)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


@transaction.atomic
def seed_demo() -> list[tuple[str, str, str]]:
    """Create (or find) the demo logins and organization; return ``(who, email, password)`` for each login."""
    admin_password = _password("DEMO_ADMIN_PASSWORD", "kontora-admin")
    member_password = _password("DEMO_PASSWORD", "kontora-demo")
    _user(SUPERUSER_EMAIL, admin_password, is_staff=True, is_superuser=True, first_name="Администратор")
    owner = _user(MEMBER_EMAIL, member_password, first_name="Дарья", last_name="Демидова")
    bookkeeper = _user(BOOKKEEPER_EMAIL, member_password, first_name="Борис", last_name="Бухгалтеров")

    organization, _ = Organization.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={"name": "ООО «Демо»", "time_zone": "Europe/Moscow", "reporting_currency_id": "RUB", "language": "ru"},
    )
    Membership.objects.get_or_create(user=owner, organization=organization, defaults={"role": Role.OWNER})
    Membership.objects.get_or_create(user=bookkeeper, organization=organization, defaults={"role": Role.BOOKKEEPER})

    for config in apps.get_app_configs():
        if not config.name.startswith("apps.") or config.name == "apps.core":
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.demo":
                raise
            continue
        with in_language_of(organization):  # the demo's stored texts are in its language, whoever seeds it
            module.seed(organization=organization, user=owner)

    return [
        ("superuser", SUPERUSER_EMAIL, admin_password),
        ("owner", MEMBER_EMAIL, member_password),
        ("bookkeeper", BOOKKEEPER_EMAIL, member_password),
    ]
