"""AppsFlyer's Pull API, aggregate reports v5 (https://support.appsflyer.com/hc/en-us/articles/207034346):
``GET https://hq1.appsflyer.com/api/agg-data/export/app/{app id}/partners_by_date_report/v5?from=&to=`` with the
API token (V2) as a bearer token, answered with the CSV the ``appsflyer_partners`` reader reads. A rate limit
(429) is waited out as its Retry-After says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import quote

from django.utils.translation import gettext as _

from . import Fetched
from .http import client, refused, send

API = "https://hq1.appsflyer.com/api/agg-data/export/app"
REPORT = "partners_by_date_report"


def fetch(schedule, *, today: dt.date, sleep, **_context) -> Iterator[Fetched]:
    app_id = str((schedule.settings or {}).get("app_id", ""))
    report = str((schedule.settings or {}).get("report") or REPORT)
    token = str((schedule.credentials or {}).get("api_token", ""))
    start, end = today - dt.timedelta(days=schedule.repull_days), today
    with client() as http:
        response = send(
            http,
            "GET",
            f"{API}/{quote(app_id)}/{quote(report)}/v5",
            params={"from": start.isoformat(), "to": end.isoformat()},
            headers={"Authorization": f"Bearer {token}", "Accept": "text/csv"},
            sleep=sleep,
        )
        if response.status_code != 200:
            raise refused(response, _("The AppsFlyer report"))
        yield Fetched(name=f"appsflyer-{app_id}-{report}-{start}-{end}.csv", content=response.content)
