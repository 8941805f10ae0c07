"""Latency of the platform's own pages, in process (Django's test client, no network), on the bench DB.

Figures: p50/p95 milliseconds over 200 requests each for /healthz, the home page, the admin home of a
member, and the API's membership list; and the number of SQL queries each makes.
"""

from __future__ import annotations

import time

from _django import figure, percentile
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.core.accounts.roles import Role
from apps.core.models import Membership, Organization, User

ROUNDS = 200


def _member() -> User:
    user, _ = User.objects.get_or_create(email="bench@kontora.local")
    for index in range(3):
        organization, _ = Organization.objects.get_or_create(slug=f"bench-{index}", defaults={"name": f"Bench {index}"})
        Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": Role.OWNER})
    return user


def measure(client: Client, name: str, path: str) -> None:
    client.get(path)  # warm-up
    reset_queries()  # the test client resets the log when a request starts; count from an empty log
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    # Counted now: the captured queries are a slice of the connection's log, which the next request empties.
    query_count = len(queries)
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
    figure(f"{name}_p50_ms", percentile(samples, 50))
    figure(f"{name}_p95_ms", percentile(samples, 95))
    figure(f"{name}_queries", query_count)


def main() -> None:
    client = Client()
    measure(client, "healthz", "/healthz")
    measure(client, "home", "/en/")
    client.force_login(_member())
    measure(client, "admin_index", "/admin/")
    measure(client, "api_memberships", "/api/v1/memberships/")


if __name__ == "__main__":
    main()
