"""Walks the whole admin as a member of organization B and finds none of organization A's rows.

The walk is generic: every model registered in the admin is visited (changelist, list filters, change page,
add-form choices, autocompletes), so a new app's admin is covered the moment it is registered. A model the
admin shows to members must either belong to an organization (``tenant_path``) and have a sample in
``tests/tenancy_samples.py``, or be listed below as global reference data.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.urls import reverse

from apps.billing.models import Plan
from apps.core.accounts.roles import Role
from apps.core.accounts.tenancy import is_tenant_model, tenant_path
from apps.core.models import Currency
from tests.tenancy_samples import TENANT_SAMPLES

# Shared by every organization on purpose: reference data with no tenant.
GLOBAL_MODELS = {Currency, Plan}  # Plan: billing's public catalogue of plans

pytestmark = pytest.mark.django_db


@pytest.fixture
def samples_of_a(organization, member_of):
    """One row of every tenant model in organization A (the one B must never see)."""
    member_of(organization, role=Role.OWNER, email="owner-of-a@example.com")
    rows = {}
    for model, make in TENANT_SAMPLES.items():
        rows[model] = make(organization)
    rows[type(organization)] = organization
    return rows


@pytest.fixture
def client_of_b(client, other_organization, member_of):
    user = member_of(other_organization, role=Role.OWNER)
    client.force_login(user)
    return client


def _admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def test_admins_without_organization_rows_are_for_superusers_only(client_of_b):
    """Third-party admins (access attempts, e-mail addresses, schedules…) hold rows of every organization."""
    for model, _model_admin in _registered():
        if not is_tenant_model(model) and model not in GLOBAL_MODELS:
            assert client_of_b.get(_admin_url(model, "changelist")).status_code == 403, model._meta.label


def _ids(queryset_or_list):
    return {obj.pk for obj in queryset_or_list}


@pytest.mark.parametrize(
    ("model", "model_admin"), _registered(), ids=lambda v: getattr(v, "_meta", None) and v._meta.label
)
def test_changelist_of_another_organization_shows_none_of_its_rows(model, model_admin, samples_of_a, client_of_b):
    response = client_of_b.get(_admin_url(model, "changelist"))

    if response.status_code == 403:
        return  # not for members at all (superuser-only admin): nothing to leak
    assert response.status_code == 200
    assert is_tenant_model(model) or model in GLOBAL_MODELS, (
        f"{model._meta.label} is shown to members but belongs to no organization: give it a tenant_path "
        "or list it in GLOBAL_MODELS"
    )
    if model in GLOBAL_MODELS:
        return
    assert model in samples_of_a or tenant_path(model) == "@users", (
        f"{model._meta.label} has no sample in tests/tenancy_samples.py, so its scoping is not checked"
    )
    changelist = response.context["cl"]
    foreign = samples_of_a.get(model)
    if foreign is not None:
        assert foreign.pk not in _ids(changelist.result_list)
    if tenant_path(model) == "@users":
        assert not any(user.email == "owner-of-a@example.com" for user in changelist.result_list)

    for spec in changelist.filter_specs:
        choices = getattr(spec, "lookup_choices", [])
        related = getattr(getattr(spec, "field", None), "related_model", None)
        if related in samples_of_a and choices and isinstance(choices[0], tuple):
            assert samples_of_a[related].pk not in {pk for pk, _label in choices}, (
                f"list filter {spec.title!r} of {model._meta.label} offers a row of another organization"
            )


WITH_SAMPLES = [(model, model_admin) for model, model_admin in _registered() if model in TENANT_SAMPLES]


@pytest.mark.parametrize(("model", "model_admin"), WITH_SAMPLES, ids=[m._meta.label for m, _ in WITH_SAMPLES])
def test_change_page_of_another_organizations_row_is_not_found(model, model_admin, samples_of_a, client_of_b):
    foreign = samples_of_a[model]
    response = client_of_b.get(_admin_url(model, "change", foreign.pk))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("model", "model_admin"), _registered(), ids=lambda v: getattr(v, "_meta", None) and v._meta.label
)
def test_add_form_offers_no_row_of_another_organization(model, model_admin, samples_of_a, client_of_b):
    response = client_of_b.get(_admin_url(model, "add"))
    if response.status_code == 403:
        return
    assert response.status_code == 200
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        if isinstance(field, ModelChoiceField | ModelMultipleChoiceField):
            related = field.queryset.model
            if related in samples_of_a:
                assert samples_of_a[related].pk not in _ids(field.queryset), (
                    f"{model._meta.label}.{name} offers a row of another organization"
                )


def test_autocomplete_finds_no_row_of_another_organization(samples_of_a, client_of_b):
    checked = 0
    for model, model_admin in _registered():
        for field_name in model_admin.autocomplete_fields:
            remote = model._meta.get_field(field_name).related_model
            response = client_of_b.get(
                reverse("admin:autocomplete"),
                {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field_name},
            )
            if response.status_code == 403:
                continue
            assert response.status_code == 200
            found = {str(item["id"]) for item in response.json()["results"]}
            if remote in samples_of_a:
                assert str(samples_of_a[remote].pk) not in found
            if remote._meta.label_lower == "core.user":
                assert not found & {
                    str(pk) for pk in remote.objects.filter(email="owner-of-a@example.com").values_list("pk", flat=True)
                }
            checked += 1
    assert checked, "no autocomplete was checked"
