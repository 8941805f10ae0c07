"""Fixtures shared by the whole suite. Real PostgreSQL and Redis; nothing of the project's own is mocked."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from tests.core.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _redis_keyspace_clean():
    """Each test starts with an empty Redis key space of its own worker (cache, throttles, live streams)."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    for pattern in (f"{prefix}:*", f"{prefix}*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    return


@pytest.fixture
def organization(db):
    return OrganizationFactory()


@pytest.fixture
def other_organization(db):
    return OrganizationFactory()


@pytest.fixture
def member_of():
    """``member_of(org, role="owner")`` → a user who belongs to ``org`` with ``role``."""

    def make(organization, role="owner", **user_fields):
        user = UserFactory(**user_fields)
        MembershipFactory(user=user, organization=organization, role=role)
        return user

    return make


def pytest_report_header(config):
    return (
        f"kontora: database={settings.DATABASES['default']['HOST']} redis={settings.REDIS_URL} "
        f"xdist-worker={os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    )
