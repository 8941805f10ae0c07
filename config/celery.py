"""The Celery app. Tasks are autodiscovered from each app's tasks.py; periodic ones live in the database
(django-celery-beat) and are created by migrations, so they are visible and editable in the admin."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("kontora")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _refuse_closed_broker_connection() -> None:
    """Keep the worker alive when Redis goes away with tasks in hand (kombu 5.7 / celery 5.7).

    On a lost broker connection the worker first ``collect()``s the connection, which detaches the transport
    (``transport.client = None``), then ``close()``s it; closing a channel tries to requeue its unacked
    messages and kombu's Redis channel reads ``transport.client.hostname`` for a new client, so the worker
    died with "Unrecoverable error: 'NoneType' object has no attribute 'hostname'" instead of reconnecting.
    Reporting a detached transport as a connection error lets the worker's own error handling ignore it and
    reconnect; the messages stay in Redis's unacked set and are delivered again after the broker's visibility
    timeout (kombu restores them by itself).
    """
    import redis
    from kombu.transport import redis as kombu_redis

    original = kombu_redis.Channel._connparams
    if getattr(original, "kontora_guard", False):
        return

    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise redis.ConnectionError("The broker connection was already closed.")
        return original(self, asynchronous)

    _connparams.kontora_guard = True
    kombu_redis.Channel._connparams = _connparams


_refuse_closed_broker_connection()
