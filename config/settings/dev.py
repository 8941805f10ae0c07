"""Local development: `make run` and every `manage.py` command without DJANGO_SETTINGS_MODULE."""

from config.env import env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", True)
# Serve static files straight from the apps and static/ (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
