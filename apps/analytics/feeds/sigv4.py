"""AWS Signature Version 4 for requests sent with httpx, by botocore's signer (botocore comes with
django-storages' boto3): the same code that signs boto3's own requests, so S3-compatible servers (MinIO)
accept it as they accept boto3."""

from __future__ import annotations

import datetime as dt

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TIMESTAMP = "%Y%m%dT%H%M%SZ"


class _Signer:
    """botocore's SigV4 steps at a given time (its ``add_auth`` reads the clock itself)."""

    def __init__(self, auth: SigV4Auth, now: dt.datetime | None):
        self.auth, self.now = auth, now

    def sign(self, request: AWSRequest) -> None:
        if self.now is None:
            self.auth.add_auth(request)
            return
        request.context["timestamp"] = self.now.astimezone(dt.UTC).strftime(TIMESTAMP)
        self.auth._modify_request_before_signing(request)
        canonical = self.auth.canonical_request(request)
        string_to_sign = self.auth.string_to_sign(request, canonical)
        self.auth._inject_signature_to_request(request, self.auth.signature(string_to_sign, request))


def signed_headers(
    method: str,
    url: str,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    service: str = "s3",
    session_token: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """The headers to send with the request (``Authorization``, ``X-Amz-Date`` and, for S3, the payload's
    SHA-256), signed for ``region`` and ``service`` at ``now`` (default: the current time)."""
    credentials = Credentials(access_key, secret_key, session_token)
    auth = S3SigV4Auth(credentials, service, region) if service == "s3" else SigV4Auth(credentials, service, region)
    request = AWSRequest(method=method, url=url, headers=dict(headers or {}), data=body)
    _Signer(auth, now).sign(request)
    return dict(request.headers.items())
