"""The app's PostgreSQL role owns nothing and gets exactly the privileges below, table by table,
driven by the module declarations. Runs after migrate as the owner role that ran the migrations,
so new tables are covered as soon as they exist.

* every table: SELECT, INSERT, UPDATE, DELETE;
* tables of models declared ``Module.append_only`` (the ledger, payments, audit trails): SELECT,
  INSERT only; plus UPDATE on the one column of each ``Module.append_only_counters`` (a trigger
  in the model's migration lets that counter only grow);
* ``django_migrations``: SELECT (only the owner migrates);
* sequences: USAGE, SELECT (nextval; never setval);
* one ``prune_<table>()`` function per ``Module.retention``: SECURITY DEFINER, owned by the owner,
  deleting only rows older than the declared age. The app role may EXECUTE it and nothing else may.
"""

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from modules.core.registry import registry

READ_WRITE = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
APPEND_ONLY = frozenset({"SELECT", "INSERT"})
READ_ONLY = frozenset({"SELECT"})
TABLE_PRIVILEGES = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"})
SEQUENCE = frozenset({"USAGE", "SELECT"})
PRUNE_PREFIX = "prune_"


def append_only_tables() -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in registry.append_only_models()]


def counter_columns() -> dict[str, set[str]]:
    """{table: {column, ...}} the app role may UPDATE in otherwise append-only tables."""
    columns: dict[str, set[str]] = {}
    for declared in registry.append_only_counters():
        label, _, field = declared.rpartition(".")
        model = apps.get_model(label)
        columns.setdefault(model._meta.db_table, set()).add(model._meta.get_field(field).column)
    return columns


def expected_table_privileges(tables) -> dict[str, frozenset[str]]:
    """What the app role may do with each of ``tables``."""
    append_only = set(append_only_tables())
    return {table: APPEND_ONLY if table in append_only else READ_ONLY if table == "django_migrations" else READ_WRITE
            for table in tables}


def prune_function(retention) -> tuple[str, str]:
    """(function name, its CREATE statement) for one Retention declaration."""
    model = apps.get_model(retention.model)
    table = model._meta.db_table
    column = model._meta.get_field(retention.field).column
    name = f"{PRUNE_PREFIX}{table}"[:63]
    quote = connection.ops.quote_name
    return name, (
        f"CREATE OR REPLACE FUNCTION {quote(name)}() RETURNS bigint LANGUAGE sql SECURITY DEFINER "
        f"SET search_path = pg_catalog, public AS $$ "
        f"WITH gone AS (DELETE FROM public.{quote(table)} "
        # bandit: the SQL holds only quoted identifiers and an int
        f"WHERE {quote(column)} < now() - interval '{int(retention.days)} days' RETURNING 1) "  # nosec B608
        f"SELECT count(*) FROM gone $$"
    )


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def role_exists(role: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        return cursor.fetchone() is not None


@transaction.atomic
def grant_app_role(role: str | None = None) -> bool:
    """Apply the grants and the prune functions, in one transaction (the running app never sees a
    half-granted table). False when there is nothing to grant: the app role does not exist (a
    developer's single-role setup) or we are it (the test suite's flush, which re-emits
    post_migrate as the app)."""
    role = role or settings.DATABASE_APP_ROLE
    if not role or current_user() == role:
        return False
    exists = role_exists(role)
    quote = connection.ops.quote_name
    name = quote(role)
    with connection.cursor() as cursor:
        functions = dict(prune_function(retention) for retention in registry.retentions())
        cursor.execute("SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace "
                       "AND proname LIKE %s AND pg_get_userbyid(proowner) = current_user", [PRUNE_PREFIX + "%"])
        for (stale,) in cursor.fetchall():
            if stale not in functions:
                cursor.execute(f"DROP FUNCTION {quote(stale)}()")
        for function, create in functions.items():
            cursor.execute(create)
            cursor.execute(f"REVOKE ALL ON FUNCTION {quote(function)}() FROM PUBLIC")
            if exists:
                cursor.execute(f"GRANT EXECUTE ON FUNCTION {quote(function)}() TO {name}")
        if not exists:
            return False
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        for table, privileges in expected_table_privileges(connection.introspection.table_names(cursor)).items():
            cursor.execute(f"GRANT {', '.join(sorted(privileges))} ON {quote(table)} TO {name}")
            cursor.execute(f"REVOKE {', '.join(sorted(TABLE_PRIVILEGES - privileges))} ON {quote(table)} FROM {name}")
        # after the table-level REVOKE UPDATE (which drops column grants too), so undeclared ones go
        for table, columns in counter_columns().items():
            cursor.execute(f"GRANT UPDATE ({', '.join(map(quote, sorted(columns)))}) ON {quote(table)} TO {name}")
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {name}")
        cursor.execute(f"GRANT {', '.join(sorted(SEQUENCE))} ON ALL SEQUENCES IN SCHEMA public TO {name}")
    return True


def prune_old_rows() -> dict[str, int]:
    """Delete what every Retention declaration lets go (the nightly ``system.prune_old_rows``)."""
    deleted = {}
    with connection.cursor() as cursor:
        for retention in registry.retentions():
            function, _ = prune_function(retention)
            cursor.execute(f"SELECT {connection.ops.quote_name(function)}()")
            deleted[retention.model] = cursor.fetchone()[0]
    return deleted
