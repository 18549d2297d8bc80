"""The PostgreSQL roles the suite uses: the app role for everything the app does, the owner to
create and migrate the test database, the superuser only to empty it between transactional tests.

`make test` names the roles' URLs (ops/services.py exec --db-user app): DATABASE_URL is the app
role, DATABASE_OWNER_URL and DATABASE_SUPERUSER_URL the other two (settings.DATABASE_ROLE_URLS).
"""

from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg
from django.conf import settings
from django.db import connections
from django.db.backends.postgresql.operations import DatabaseOperations


def role_url(role: str) -> str:
    url = settings.DATABASE_ROLE_URLS.get(role)
    if not url:
        raise RuntimeError(f"no URL for the {role} role: run the suite with `make test`")
    return url


def check_app_role() -> None:
    """The suite must connect as the role production uses, or privilege gaps go unseen."""
    user = settings.DATABASES["default"]["USER"]
    if user != settings.DATABASE_APP_ROLE or dj_database_url.parse(role_url("app"))["USER"] != user:
        raise RuntimeError(f"DATABASE_URL connects as {user!r}, not the app role {settings.DATABASE_APP_ROLE!r}: "
                           "run the suite with `make test`")


def connect_default_as(role: str) -> None:
    """Reconnect the default connection (of this thread) as another role; only between tests."""
    parsed = dj_database_url.parse(role_url(role))
    connection = connections["default"]
    connection.close()
    connection.settings_dict.update(USER=parsed["USER"], PASSWORD=parsed["PASSWORD"])


@contextmanager
def default_connection_as(role: str):
    """The default connection (of this thread) as ``role`` within the block, then the app role
    again: for a test's setup that needs more than the app may do (migrating back and forth)."""
    connect_default_as(role)
    try:
        yield
    finally:
        connect_default_as("app")


def url(role: str, dbname: str | None = None) -> str:
    """``role``'s URL to the test database (or ``dbname``), e.g. for manage.py in a subprocess."""
    parts = urlsplit(role_url(role))
    return urlunsplit(parts._replace(path="/" + (dbname or connections["default"].settings_dict["NAME"])))


def connect(role: str, dbname: str | None = None) -> psycopg.Connection:
    """A separate autocommit connection as ``role``; close it (``with``) when done."""
    return psycopg.connect(url(role, dbname), autocommit=True)


def flush_as_superuser(operations: DatabaseOperations, sql_list: list[str]) -> None:
    """Stands in for DatabaseOperations.execute_sql_flush during the suite: the flush between
    transactional tests TRUNCATEs every table, which the app role may not (nor anyone but a
    superuser, on the ledger). The app itself never flushes."""
    with connect("superuser", operations.connection.settings_dict["NAME"]) as conn, conn.transaction():
        for sql in sql_list:
            conn.execute(sql)


@contextmanager
def superuser_flush():
    original = DatabaseOperations.execute_sql_flush
    DatabaseOperations.execute_sql_flush = flush_as_superuser
    try:
        yield
    finally:
        DatabaseOperations.execute_sql_flush = original
