"""Fixtures shared by the whole suite. Real PostgreSQL and Redis; nothing of the project's own is mocked."""

from __future__ import annotations

import os

import pytest
from celery import signals as celery_signals
from django.conf import settings

from tests.core.factories import MembershipFactory, OrganizationFactory, UserFactory


@celery_signals.setup_logging.connect
def _logging_stays_djangos(**kwargs):
    """A real Celery worker started by a test (celery.contrib.testing.worker) would configure logging for the
    whole process: the root logger's handlers replaced and its level raised, for every later test. With a
    receiver of this signal connected, Celery leaves logging as Django configured it."""
    return None


@pytest.fixture(autouse=True)
def _redis_keyspace_clean():
    """Each test starts with an empty Redis key space of its own worker (cache, throttles, live streams)."""
    import redis

    from apps.ledger import live

    live.flush_pending()  # an earlier test's live balance changes, still in this process's window

    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    for pattern in (f"{prefix}:*", f"{prefix}*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    return


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """A request with ``Accept-Language: ru`` leaves Russian active in the thread after the test client
    returns (LocaleMiddleware activates, nothing deactivates); later tests in the same worker would then read
    Russian where they expect the default. Each test ends with no language activated."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def english():
    """English active for the test (and, through ``tests.helpers.run_in_threads``, for its threads), so that
    messages can be compared as written in the source."""
    from django.utils import translation

    with translation.override("en"):
        yield


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


@pytest.fixture
def owner(organization, member_of):
    """The owner of ``organization`` (test modules that need another owner define their own)."""
    return member_of(organization, role="owner")


def pytest_report_header(config):
    return (
        f"kontora: database={settings.DATABASES['default']['HOST']} redis={settings.REDIS_URL} "
        f"xdist-worker={os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    )


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests empty every table between tests; put back the reference rows that migrations
    seed (currencies), so each test starts from the same state a fresh database has."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(marker and marker.kwargs.get("transaction"))
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps as django_apps

    from apps.core.money.currencies import add_currencies

    add_currencies(django_apps, None)


@pytest.fixture(scope="session")
def _database_setup_as_owner():
    """The test database is created and migrated by the schema's owner, as a deployment's is."""
    from apps.core.operations.database_roles import as_owner

    with as_owner():
        yield


@pytest.fixture(scope="session")
def django_db_setup(_database_setup_as_owner, django_db_setup):
    """Then every test runs as the application's role, which owns nothing: the database's rules hold against
    it as they do against the product (tests of what the owner may do ask for ``as_owner``)."""
    from apps.core.operations.database_roles import as_application

    with as_application():
        yield


@pytest.fixture
def _database_owner_when_marked(request, django_db_setup, django_db_blocker):
    """A test marked ``database_owner`` connects as the schema's owner (DDL, disabling a trigger to simulate
    tampering, migrating by hand): switched before its transaction begins, and back after it ends."""
    if request.node.get_closest_marker("database_owner") is None:
        yield
        return
    from apps.core.operations.database_roles import as_owner

    with django_db_blocker.unblock(), as_owner():
        yield


@pytest.fixture
def _django_db_helper(_database_owner_when_marked, _django_db_helper):
    """pytest-django's own, asked for after the role switch above, so its transaction opens on the switched
    connection."""
    return _django_db_helper
