"""The ledger's admin writes nothing itself: its forms, inlines and actions call the services
(``apps.ledger.services``), which check the rules and write the audit record. Django's default write hooks
(``save_model`` → ``obj.save()``, ``save_formset`` → each row's ``save()``, ``delete_model`` → ``obj.delete()``,
the "delete selected" action → ``queryset.delete()``) are replaced wherever the admin lets anyone write."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.test import RequestFactory

import apps.ledger.admin
from tests.core.factories import UserFactory

pytestmark = pytest.mark.django_db

LEDGER = sorted(
    ((model, model_admin) for model, model_admin in admin.site._registry.items() if model._meta.app_label == "ledger"),
    key=lambda item: item[0]._meta.label,
)
ADMIN_DIR = Path(apps.ledger.admin.__file__).parent
WRITES = {"save", "create", "update", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}


def _overrides(model_admin, name: str) -> bool:
    return getattr(type(model_admin), name) is not getattr(ModelAdmin, name)


@pytest.fixture
def superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    return request


@pytest.mark.parametrize(("model", "model_admin"), LEDGER, ids=[m._meta.label for m, _ in LEDGER])
def test_every_write_hook_of_a_writable_admin_is_a_service_call(model, model_admin, superuser_request):
    request = superuser_request
    if model_admin.has_add_permission(request) or model_admin.has_change_permission(request):
        assert _overrides(model_admin, "save_model"), f"{model._meta.label}: Django's save_model saves directly"
        writable_inlines = [
            inline
            for inline in model_admin.get_inline_instances(request)
            if inline.has_add_permission(request, None)
            or inline.has_change_permission(request)
            or inline.has_delete_permission(request)
        ]
        if writable_inlines:
            assert _overrides(model_admin, "save_related") or _overrides(model_admin, "save_formset"), (
                f"{model._meta.label}: its inlines would be saved row by row, not by a service"
            )
    if model_admin.has_delete_permission(request):
        assert _overrides(model_admin, "delete_model"), f"{model._meta.label}: Django's delete_model deletes directly"
        if "delete_selected" in model_admin.get_actions(request):
            assert _overrides(model_admin, "delete_queryset"), f"{model._meta.label}: queryset.delete() in bulk"


def _write_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            receiver = node.func.value
            if isinstance(receiver, ast.Attribute) and receiver.attr == "__dict__":
                continue  # copying a saved row's attributes onto the form's object, not a write
            found.append(f"{path.name}:{node.lineno}: .{node.func.attr}(…)")
    return found


def test_no_admin_module_saves_or_deletes_a_model_itself():
    modules = sorted(ADMIN_DIR.glob("*.py"))
    assert len(modules) > 5
    assert [call for path in modules for call in _write_calls(path)] == []
