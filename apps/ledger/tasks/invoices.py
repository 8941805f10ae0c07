"""Celery tasks: invoices. Thin: re-fetch by id, call a service, safe to run twice."""
