"""Every page that names a row in its address keeps organizations apart, whatever app routed it.

The pages are found from the URL resolver (everything outside the API and the admin, which have tenancy tests
of their own), so a new page with an id in its path fails here until it says which model the id names. For
each one, organization A gets one sample row (``tests.tenancy_samples``): a member of organization B asking
for it gets 404, and a member of A does not (so the 404 is the organizations being apart, not a broken page).
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils import translation

from apps.analytics.models import Campaign, ImportJob
from apps.billing.models import Payment, Subscription
from tests.tenancy_samples import TENANT_SAMPLES

pytestmark = pytest.mark.django_db

# The model whose primary key each such page takes.
PAGE_MODELS = {
    "analytics:campaign": Campaign,
    "analytics:import-job": ImportJob,
    "analytics:import-job-status": ImportJob,
    "billing:stub-checkout": Payment,
    "billing:payment-status": Payment,
    "billing:receipt-pdf": Payment,
    "billing:invoice-pdf": Subscription,
}
NOT_PAGES = ("admin/", "api/")


def _stub_payment(organization):
    """The test mode's stand-in for a provider's payment page shows a payment made for it."""
    payment = TENANT_SAMPLES[Payment](organization)
    payment.metadata = {**payment.metadata, "stub": True}
    payment.save(update_fields=["metadata"])
    return payment


# Where a page shows only some rows of its model, the sample is one of those.
PAGE_SAMPLES = {"billing:stub-checkout": _stub_payment}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespace


def pages_naming_a_row() -> dict[str, list[str]]:
    """{namespaced URL name: its path's parameters} of every page whose path takes a row's id (the webhook and
    postback endpoints take a secret instead, and answer a server, not a person)."""
    found = {}
    with translation.override("en"):
        for path, pattern, namespace in _walk(get_resolver().url_patterns):
            page = path.removeprefix("en/")
            converters = pattern.pattern.converters
            if page.startswith(NOT_PAGES) or not any(isinstance(c, IntConverter) for c in converters.values()):
                continue
            found[f"{namespace}{pattern.name}"] = sorted(converters)
    return found


def test_every_page_that_names_a_row_says_which_model():
    pages = pages_naming_a_row()

    assert set(pages) == set(PAGE_MODELS), "a page takes an id: add it to PAGE_MODELS (or drop a stale entry)"
    assert all(parameters == ["pk"] for parameters in pages.values()), pages


@pytest.mark.parametrize("name", sorted(PAGE_MODELS))
def test_a_member_of_another_organization_is_told_the_row_does_not_exist(
    name, client, member_of, organization, other_organization, settings
):
    settings.KONTORA_BILLING_STUB_CHECKOUT = True
    theirs = PAGE_SAMPLES.get(name, TENANT_SAMPLES[PAGE_MODELS[name]])(other_organization)
    with translation.override("en"):
        url = reverse(name, kwargs={"pk": theirs.pk})

    client.force_login(member_of(organization))
    assert client.get(url).status_code == 404

    client.force_login(member_of(other_organization))
    assert client.get(url).status_code != 404
