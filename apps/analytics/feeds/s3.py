"""Objects under a prefix of an S3 bucket (or MinIO's, with ``endpoint``): listed with ListObjectsV2 (page by
page, ``continuation-token``), fetched with GetObject, each request signed with SigV4 (:mod:`.sigv4`).

Only objects modified since the newest one the last run saw are fetched (``schedule.state["after"]``; an
object at exactly that time is fetched again, and the pipeline's SHA-256 check makes that harmless)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import quote, urlencode

from django.utils.translation import gettext as _

from . import FeedError, Fetched
from .http import client, refused, send
from .sigv4 import signed_headers

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
# Objects larger than this are not fetched into memory (a traffic export is megabytes, not gigabytes).
MAX_OBJECT_BYTES = 512 * 1024 * 1024


def _base(settings: dict) -> tuple[str, str]:
    """The bucket's address (path style: ``<endpoint>/<bucket>``) and its region."""
    bucket = str(settings.get("bucket") or "").strip()
    if not bucket:
        raise FeedError(_("The schedule names no bucket."))
    region = str(settings.get("region") or "us-east-1")
    endpoint = str(settings.get("endpoint") or f"https://s3.{region}.amazonaws.com").rstrip("/")
    return f"{endpoint}/{quote(bucket)}", region


def _get(http, url: str, credentials: dict, region: str, sleep) -> object:
    headers = signed_headers(
        "GET",
        url,
        access_key=str(credentials.get("access_key_id", "")),
        secret_key=str(credentials.get("secret_access_key", "")),
        session_token=credentials.get("session_token") or None,
        region=region,
    )
    return send(http, "GET", url, headers=headers, sleep=sleep)


def list_objects(http, settings: dict, credentials: dict, *, sleep) -> list[dict]:
    """Every object under the prefix: ``{"key", "modified", "size", "etag"}``."""
    base, region = _base(settings)
    prefix = str(settings.get("prefix") or "")
    objects, token = [], None
    while True:
        query = {"list-type": "2", "prefix": prefix}
        if token:
            query["continuation-token"] = token
        # The canonical query is sorted; sending it sorted keeps the signed and the sent forms alike.
        url = f"{base}?{urlencode(sorted(query.items()), quote_via=quote)}"
        response = _get(http, url, credentials, region, sleep)
        if response.status_code != 200:
            raise refused(response, _("Listing the bucket"))
        root = ET.fromstring(response.content)
        for item in root.findall(f"{NS}Contents"):
            objects.append(
                {
                    "key": item.findtext(f"{NS}Key", ""),
                    "modified": item.findtext(f"{NS}LastModified", ""),
                    "size": int(item.findtext(f"{NS}Size", "0") or 0),
                    "etag": item.findtext(f"{NS}ETag", "").strip('"'),
                }
            )
        if root.findtext(f"{NS}IsTruncated", "false") != "true":
            return objects
        token = root.findtext(f"{NS}NextContinuationToken", "")


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def fetch(schedule, *, sleep, **_context) -> Iterator[Fetched]:
    settings, credentials = schedule.settings or {}, schedule.credentials or {}
    base, region = _base(settings)
    after = schedule.state.get("after")
    with client() as http:
        objects = [o for o in list_objects(http, settings, credentials, sleep=sleep) if not o["key"].endswith("/")]
        if after:
            objects = [o for o in objects if o["modified"] and _when(o["modified"]) >= _when(after)]
        for item in sorted(objects, key=lambda o: (o["modified"], o["key"])):
            if item["size"] > MAX_OBJECT_BYTES:
                raise FeedError(
                    _("{key} is larger than {limit} bytes.").format(key=item["key"], limit=MAX_OBJECT_BYTES)
                )
            response = _get(http, f"{base}/{quote(item['key'])}", credentials, region, sleep)
            if response.status_code != 200:
                raise refused(response, _("Fetching {key}").format(key=item["key"]))
            yield Fetched(name=item["key"].rsplit("/", 1)[-1] or item["key"], content=response.content)
            # Moved on only once the object is handed over: a run that fails midway fetches it again.
            schedule.state["after"] = item["modified"]
