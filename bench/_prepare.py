"""Creates and migrates the bench database (kontora_bench) on the configured PostgreSQL server."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
import psycopg

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

db = {**settings.DATABASES["default"], **(settings.DATABASE_OWNER or {})}  # the owner makes the database
if not settings.DATABASE_URL:
    from config import embedded

    embedded.ensure_database(db["NAME"])
else:
    with psycopg.connect(
        dbname="postgres",
        user=db["USER"],
        host=db["HOST"],
        port=db["PORT"],
        password=db.get("PASSWORD") or None,
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
call_command("migrate", interactive=False, verbosity=0)
