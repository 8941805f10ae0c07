"""The Celery app. Tasks are autodiscovered from each app's tasks.py; periodic ones live in the database
(django-celery-beat) and are created by migrations, so they are visible and editable in the admin."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("kontora")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
