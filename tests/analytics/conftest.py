"""Fixtures the analytics tests share."""

from __future__ import annotations

import pytest

from apps.core.accounts.roles import Role


@pytest.fixture
def owner(organization, member_of):
    """The organization's owner: may read and change its traffic data."""
    return member_of(organization, role=Role.OWNER)


@pytest.fixture
def admin_client(client, owner):
    """A browser signed in as ``owner``."""
    client.force_login(owner)
    return client
