"""Every admin page of traffic analytics opens in Russian and in English, and a Russian page shows no English
word of the admin's own interface (the detector of the ledger's Russian pages)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from apps.core.accounts.roles import Role
from tests.core.factories import MembershipFactory, UserFactory
from tests.ledger.test_admin_russian_pages import english_words, visible_text
from tests.tenancy_samples import TENANT_SAMPLES

pytestmark = pytest.mark.django_db

ANALYTICS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "analytics"), key=lambda m: m._meta.label
)


def _pages(model) -> list[str]:
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"no sample row of {model._meta.label}"
    return [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add"), reverse(f"{prefix}_change", args=[obj.pk])]


@pytest.mark.parametrize("model", ANALYTICS, ids=[m._meta.label for m in ANALYTICS])
@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_analytics_admin_page_opens_in_the_owners_language(model, language, client, organization):
    for make in TENANT_SAMPLES.values():
        make(organization)
    owner = UserFactory(language=language)
    MembershipFactory(user=owner, organization=organization, role=Role.OWNER)
    client.force_login(owner)

    for page in _pages(model):
        response = client.get(page, HTTP_ACCEPT_LANGUAGE=language)
        if "/add/" in page and response.status_code == 403:
            continue  # made by imports or services only: no add form
        assert response.status_code == 200, page
        if language == "ru":
            english = english_words(visible_text(response.content.decode()))
            assert english == [], f"{page}: {english}"
