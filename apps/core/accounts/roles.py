"""Membership roles and the powers each one grants.

Every member may read all data of their organization. What a role may *change* is a set of powers:

- ``write:<app>`` lets the member create, change and delete the records of that app (``ledger``,
  ``analytics``, ``leads``, ``marketplace``, ``billing``, ``agents``, ``core``). ``write:*`` means every app.
- ``manage_members`` lets the member invite, re-role and remove members.
- ``manage_api_keys`` lets the member create and revoke the organization's API keys.
- ``manage_organization`` lets the member edit the organization's settings (name, time zone, reporting
  currency, language, the MFA requirement).
- ``delete_organization`` is the owner's alone.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    BOOKKEEPER = "bookkeeper", _("Bookkeeper")
    ANALYST = "analyst", _("Analyst")
    OPERATOR = "operator", _("Operator")
    SELLER = "seller", _("Seller")
    SUPPORT = "support", _("Support")
    VIEWER = "viewer", _("Viewer")


MANAGE_ORGANIZATION = "manage_organization"
DELETE_ORGANIZATION = "delete_organization"
MANAGE_MEMBERS = "manage_members"
MANAGE_API_KEYS = "manage_api_keys"
WRITE_ALL = "write:*"


def write_power(app_label: str) -> str:
    return f"write:{app_label}"


ROLE_POWERS: dict[str, frozenset[str]] = {
    # Owns the organization: everything, including deleting it.
    Role.OWNER: frozenset({DELETE_ORGANIZATION, MANAGE_ORGANIZATION, MANAGE_MEMBERS, MANAGE_API_KEYS, WRITE_ALL}),
    # Runs the organization day to day: everything but deleting it.
    Role.ADMIN: frozenset({MANAGE_ORGANIZATION, MANAGE_MEMBERS, MANAGE_API_KEYS, WRITE_ALL}),
    # Keeps the books: the ledger, and billing records that post to it.
    Role.BOOKKEEPER: frozenset({write_power("ledger"), write_power("billing")}),
    # Works the traffic numbers: sources, campaigns, imports, payouts.
    Role.ANALYST: frozenset({write_power("analytics")}),
    # Runs sales and the shop floor: leads, deals, bookings, orders, and the agents that serve them.
    Role.OPERATOR: frozenset({write_power("leads"), write_power("marketplace"), write_power("agents")}),
    # A marketplace seller's staff: their catalog, stock and orders.
    Role.SELLER: frozenset({write_power("marketplace")}),
    # Answers customers: conversations and leads.
    Role.SUPPORT: frozenset({write_power("leads")}),
    # Reads everything, changes nothing.
    Role.VIEWER: frozenset(),
}


def role_grants(role: str, power: str) -> bool:
    powers = ROLE_POWERS.get(role, frozenset())
    if power in powers:
        return True
    return power.startswith("write:") and WRITE_ALL in powers
