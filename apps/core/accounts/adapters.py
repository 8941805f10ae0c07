"""allauth's account adapter: e-mail addresses are kept lowercase, and e-mails speak as Kontora."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings


@dataclass(frozen=True)
class _Site:
    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        # Users are unique by e-mail and stored lowercase (see UserManager), so every address a person
        # types (sign-up, an added address) is compared and saved the same way.
        return super().clean_email(email.strip().lower())

    def save_user(self, request, user, form, commit: bool = True):
        user = super().save_user(request, user, form, commit=False)
        user.email = (user.email or "").strip().lower()
        if commit:
            user.save()
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Without django.contrib.sites allauth would greet with the bare host name ("Hello from
        # localhost:8000!"); the product's name reads better, and allauth's translations still apply.
        request = allauth_context.request
        domain = request.get_host() if request is not None else urlsplit(settings.SITE_URL).netloc
        super().send_mail(template_prefix, email, {"current_site": _Site(name="Kontora", domain=domain), **context})
