"""The app's PostgreSQL role owns nothing: it gets row privileges, and only SELECT/INSERT on the
tables modules declare append-only (Module.append_only, e.g. the ledger). Runs after migrate, as
the owner role that ran the migrations, so new tables are covered as soon as they exist."""

from django.apps import apps
from django.conf import settings
from django.db import connection

from modules.core.registry import registry


def append_only_tables() -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in registry.append_only_models()]


def grant_app_role(role: str | None = None) -> bool:
    """Apply the grants; False when the role does not exist (e.g. a developer's single-role setup)."""
    role = role or settings.DATABASE_APP_ROLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if not role or cursor.fetchone() is None:
            return False
        name = connection.ops.quote_name(role)
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}")
        for table in append_only_tables():
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {connection.ops.quote_name(table)} FROM {name}")
    return True
