"""Moloco's report API (https://developer.moloco.cloud/docs/report-api): authenticate with the API key
(``POST /cm/v1/auth/tokens`` → a bearer token), create a report of the last N days (``POST /cm/v1/reports``
with the ad account, the date range and the dimensions), poll its status (``GET /cm/v1/reports/{id}/status``)
until it is ready with a download link, and download the JSON rows, which the ``moloco_json`` reader reads.

The download link is signed and expires: a 403 (or 404) on it is renewed by reading the status again (a fresh
link), and when that link fails too, by creating the report again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils.translation import gettext as _

from . import FeedError, Fetched
from .http import client, refused, send

API = "https://api.moloco.cloud/cm/v1"
DIMENSIONS = ["DATE", "CAMPAIGN", "AD_GROUP", "CREATIVE", "COUNTRY", "OS", "EXCHANGE"]
POLL_SECONDS = 10.0
MAX_POLLS = 90  # 15 minutes
RENEWALS = 3
EXPIRED = frozenset({403, 404, 410})


def _json(response, what: str) -> dict:
    if response.status_code not in (200, 201):
        raise refused(response, what)
    try:
        return response.json()
    except ValueError:
        raise FeedError(_("{what}: the answer is not JSON.").format(what=what)) from None


def _token(http, api_key: str, sleep) -> str:
    data = _json(send(http, "POST", f"{API}/auth/tokens", json={"api_key": api_key}, sleep=sleep), _("Moloco sign-in"))
    token = data.get("token") or data.get("access_token")
    if not token:
        raise FeedError(_("Moloco sign-in: the answer has no token."))
    return token


def _create(http, headers, account: str, start: dt.date, end: dt.date, sleep) -> str:
    body = {
        "ad_account_id": account,
        "date_range": {"start": start.isoformat(), "end": end.isoformat()},
        "dimensions": DIMENSIONS,
    }
    response = send(
        http, "POST", f"{API}/reports", params={"ad_account_id": account}, json=body, headers=headers, sleep=sleep
    )
    report_id = _json(response, _("Creating the Moloco report")).get("id")
    if not report_id:
        raise FeedError(_("Creating the Moloco report: the answer has no report id."))
    return str(report_id)


def _ready_link(http, headers, report_id: str, sleep) -> str:
    for _poll in range(MAX_POLLS):
        status = _json(
            send(http, "GET", f"{API}/reports/{report_id}/status", headers=headers, sleep=sleep),
            _("Reading the Moloco report's status"),
        )
        state = str(status.get("status", "")).upper()
        if state == "READY" and status.get("location_json"):
            return status["location_json"]
        if state in {"FAILED", "ERROR", "CANCELED", "CANCELLED"}:
            raise FeedError(_("Moloco could not make the report: {status}.").format(status=state))
        sleep(POLL_SECONDS)
    raise FeedError(_("The Moloco report was not ready after {minutes} minutes.").format(minutes=15))


def fetch(schedule, *, today: dt.date, sleep, **_context) -> Iterator[Fetched]:
    account = str((schedule.settings or {}).get("ad_account_id", ""))
    api_key = str((schedule.credentials or {}).get("api_key", ""))
    start, end = today - dt.timedelta(days=schedule.repull_days), today
    with client() as http:
        headers = {"Authorization": f"Bearer {_token(http, api_key, sleep)}"}
        report_id = _create(http, headers, account, start, end, sleep)
        for renewal in range(RENEWALS + 1):
            link = _ready_link(http, headers, report_id, sleep)
            # The link is signed by itself: our bearer token is not sent to the storage that serves it.
            response = send(http, "GET", link, sleep=sleep)
            if response.status_code == 200:
                yield Fetched(name=f"moloco-{account}-{start}-{end}.json", content=response.content)
                return
            if response.status_code not in EXPIRED:
                raise refused(response, _("Downloading the Moloco report"))
            if renewal >= 1:  # a fresh status link failed too: the report itself is gone, make it again
                report_id = _create(http, headers, account, start, end, sleep)
    raise FeedError(_("The Moloco report's download link kept expiring; the next run tries again."))
