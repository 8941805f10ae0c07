#!/bin/sh
# Run once by the postgres image, when its data volume is first initialised (/docker-entrypoint-initdb.d):
# creates the application's role, which owns nothing. POSTGRES_USER (kontora) owns the schema and runs the
# migrations (DATABASE_OWNER_URL of the migrate service); web, worker and beat connect as kontora_app
# (DATABASE_URL), so that no SQL they run can switch the tables' rules off (README, "Database roles").
# A volume initialised before this script existed needs the same statement run once by hand.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
CREATE ROLE kontora_app LOGIN PASSWORD :'app_password';
SQL
