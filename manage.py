#!/usr/bin/env python
"""Django's command-line utility. Uses the same PostgreSQL and Redis as `make run`, starting the
embedded ones when DATABASE_URL / REDIS_URL are unset."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
