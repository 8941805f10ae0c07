#!/bin/sh
# Runs the container's command (daphne by default; celery for the worker and beat) after applying the
# database migrations when KONTORA_MIGRATE=1. Let one place migrate (compose.yml's one-shot "migrate"
# service), never every replica at once.
set -eu

case "${KONTORA_MIGRATE:-0}" in
    1 | true | yes | on)
        python manage.py migrate --noinput
        ;;
    0 | false | no | off | "")
        ;;
    *)
        echo "KONTORA_MIGRATE must be 1 or 0, got '${KONTORA_MIGRATE}'" >&2
        exit 64
        ;;
esac

exec "$@"
