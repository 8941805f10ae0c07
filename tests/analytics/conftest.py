"""Fixtures the analytics tests share."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin_client(client, owner):
    """A browser signed in as ``owner``."""
    client.force_login(owner)
    return client
