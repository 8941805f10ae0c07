"""Reads of organizations, memberships and the audit log, scoped to the requesting user."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditLog, Membership, Organization
from .tenancy import scope


def organization_list(*, user) -> QuerySet[Organization]:
    return scope(Organization.objects.select_related("reporting_currency"), user)


def membership_list(*, user) -> QuerySet[Membership]:
    return scope(Membership.objects.select_related("user", "organization"), user)


def audit_log_list(*, user) -> QuerySet[AuditLog]:
    return scope(AuditLog.objects.select_related("actor", "organization"), user)
