"""Billing's admin writes nothing itself: every change is a service call (gateway_account_save, refund_create,
payment_capture/cancel/sync, subscription_cancel/resume/change_plan), which checks the role and records the
audit entry; Django's own write hooks are replaced wherever the admin lets anyone write."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.test import RequestFactory

import apps.billing.admin
from tests.core.factories import UserFactory
from tests.ledger.test_admin_writes import _write_calls

pytestmark = pytest.mark.django_db

BILLING = sorted(
    ((model, model_admin) for model, model_admin in admin.site._registry.items() if model._meta.app_label == "billing"),
    key=lambda item: item[0]._meta.label,
)


@pytest.mark.parametrize(("model", "model_admin"), BILLING, ids=[m._meta.label for m, _ in BILLING])
def test_every_write_hook_of_a_writable_billing_admin_is_a_service_call(model, model_admin):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    if model_admin.has_add_permission(request) or model_admin.has_change_permission(request):
        assert type(model_admin).save_model is not ModelAdmin.save_model, model._meta.label
        writable_inlines = [
            inline
            for inline in model_admin.get_inline_instances(request)
            if inline.has_add_permission(request, None) or inline.has_change_permission(request)
        ]
        # Rows edited in an inline are saved by the admin's own save_related, with the parent, by one service
        # call (the plan with its prices and limits); never by Django's default formset save.
        if writable_inlines:
            assert type(model_admin).save_related is not ModelAdmin.save_related, model._meta.label
    if model_admin.has_delete_permission(request):
        assert type(model_admin).delete_model is not ModelAdmin.delete_model, model._meta.label
    assert "delete_selected" not in model_admin.get_actions(request), model._meta.label


def test_no_billing_admin_module_saves_or_deletes_a_model_itself():
    modules = sorted(Path(apps.billing.admin.__file__).parent.glob("*.py"))
    assert len(modules) >= 5
    assert [call for path in modules for call in _write_calls(path)] == []
