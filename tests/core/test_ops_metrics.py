"""/metrics: Prometheus text for the monitoring network or the bearer of METRICS_TOKEN, 404 for anyone else."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

OUTSIDER = "203.0.113.9"


def _is_metrics(response) -> bool:
    return response.status_code == 200 and b"django_http_requests_before_middlewares_total" in response.content


@override_settings(METRICS_ALLOWED_IPS=["127.0.0.1", "::1"], METRICS_TOKEN="")
def test_an_allowed_address_gets_the_metrics(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert _is_metrics(response)
    assert response["Content-Type"].startswith("text/plain")


@override_settings(METRICS_ALLOWED_IPS=["10.0.0.0/8"], METRICS_TOKEN="")
def test_an_allowed_network_gets_the_metrics(client):
    assert _is_metrics(client.get("/metrics", REMOTE_ADDR="10.20.30.40"))
    assert client.get("/metrics", REMOTE_ADDR="11.0.0.1").status_code == 404


@override_settings(METRICS_ALLOWED_IPS=["127.0.0.1"], METRICS_TOKEN="")
def test_an_allowed_address_through_a_proxy_is_refused(client):
    # Behind nginx every request comes from the proxy's address: only the token opens the door there.
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", headers={"X-Forwarded-For": OUTSIDER})

    assert response.status_code == 404


@override_settings(METRICS_ALLOWED_IPS=["127.0.0.1"], METRICS_TOKEN="")
def test_an_outside_address_is_refused_with_404(client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER)

    assert response.status_code == 404
    assert b"django_http" not in response.content


@override_settings(METRICS_ALLOWED_IPS=[], METRICS_TOKEN="scrape-me-5b1d")
def test_the_token_opens_the_metrics_from_anywhere(client):
    response = client.get(
        "/metrics",
        REMOTE_ADDR=OUTSIDER,
        headers={"Authorization": "Bearer scrape-me-5b1d", "X-Forwarded-For": OUTSIDER},
    )

    assert _is_metrics(response)


@override_settings(METRICS_ALLOWED_IPS=[], METRICS_TOKEN="scrape-me-5b1d")
@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Bearer scrape-me-5b1", "Bearer scrape-me-5b1dX", "scrape-me-5b1d", "Bearer пароль"],
)
def test_a_wrong_token_is_refused_with_404(client, authorization):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER, headers={"Authorization": authorization})

    assert response.status_code == 404


@override_settings(METRICS_ALLOWED_IPS=[], METRICS_TOKEN="")
def test_without_a_token_configured_an_empty_bearer_opens_nothing(client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER, headers={"Authorization": "Bearer "})

    assert response.status_code == 404


@override_settings(METRICS_ALLOWED_IPS=["not-an-address", "127.0.0.1"], METRICS_TOKEN="")
def test_a_malformed_allow_list_entry_is_skipped(client):
    assert _is_metrics(client.get("/metrics", REMOTE_ADDR="127.0.0.1"))
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER).status_code == 404
