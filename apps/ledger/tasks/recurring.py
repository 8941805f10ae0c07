"""Celery tasks: recurring. Thin: re-fetch by id, call a service, safe to run twice."""
