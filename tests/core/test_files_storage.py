"""Where uploads are kept: a local folder by default, an S3/MinIO bucket when AWS_STORAGE_BUCKET_NAME is set;
and Django serves the local folder only in development."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, resolve

from tests.core.test_ops_settings import BASE_DIR, run_script

STORAGE_REPORT = """
from django.conf import settings
from django.core.files.storage import storages
from django.urls import resolve

default_storage = storages["default"]

result = {
    "class": type(default_storage).__module__ + "." + type(default_storage).__name__,
    "debug": settings.DEBUG,
    "media_root": str(settings.MEDIA_ROOT),
    "media_view": resolve("/media/organizations/logos/a.png").func.__module__ if settings.DEBUG else None,
}
if result["class"].endswith("FileSystemStorage"):
    result["location"] = str(default_storage.location)
else:
    result.update(
        bucket=default_storage.bucket_name,
        endpoint=default_storage.endpoint_url,
        addressing_style=default_storage.addressing_style,
        querystring_auth=default_storage.querystring_auth,
        file_overwrite=default_storage.file_overwrite,
        default_acl=default_storage.default_acl,
        url=default_storage.url("organizations/logos/a.png"),
    )
"""
DEV = {"DJANGO_SETTINGS_MODULE": "config.settings.dev"}


def test_by_default_uploads_go_to_a_local_folder_under_var_served_in_development():
    result = run_script(STORAGE_REPORT, {**DEV, "KONTORA_VAR_DIR": str(BASE_DIR / "var")})

    assert result["class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert result["media_root"] == result["location"] == str(BASE_DIR / "var" / "media")
    assert result["debug"] is True
    assert result["media_view"] == "django.views.static"


def test_media_root_can_be_moved(tmp_path):
    result = run_script(STORAGE_REPORT, {**DEV, "MEDIA_ROOT": str(tmp_path / "uploads")})

    assert result["location"] == str(tmp_path / "uploads")


def test_with_a_bucket_uploads_go_to_s3_or_minio_with_signed_links():
    env = {
        **DEV,
        "AWS_STORAGE_BUCKET_NAME": "kontora-media",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "kontora",
        "AWS_SECRET_ACCESS_KEY": "minio-secret-key",
    }

    result = run_script(STORAGE_REPORT, env)

    assert result["class"] == "storages.backends.s3.S3Storage"
    assert result["bucket"] == "kontora-media"
    assert result["endpoint"] == "http://127.0.0.1:9000"
    assert result["addressing_style"] == "path"
    assert result["querystring_auth"] is True
    assert result["file_overwrite"] is False
    assert result["default_acl"] is None
    # Signing happens locally: no request reaches MinIO to build the link.
    assert result["url"].startswith("http://127.0.0.1:9000/kontora-media/organizations/logos/a.png?")
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in result["url"]
    assert "X-Amz-Signature=" in result["url"]
    assert "X-Amz-Expires=3600" in result["url"]


def test_media_is_not_served_when_debug_is_off():
    with pytest.raises(Resolver404):
        resolve("/media/organizations/logos/a.png")
