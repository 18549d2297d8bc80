"""Running the app with another list of modules (BACKOFFICE_MODULES), which INSTALLED_APPS cannot
change inside one process: ``manage.py`` in a second process, on a database of its own that the
owner role creates and migrates (as in production) and the app role then uses."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tests import db_roles

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def migrated_database(name: str, modules: str):
    """A database ``name`` migrated with ``modules`` enabled; yields the app role's environment for
    ``manage``; dropped afterwards."""
    with db_roles.connect("owner", "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": db_roles.url("app", name), "DJANGO_SETTINGS_MODULE": "backoffice.settings.test",
           "BACKOFFICE_MODULES": modules}
    try:
        manage(["migrate", "--noinput"], {**env, "DATABASE_URL": db_roles.url("owner", name)})
        yield env
    finally:
        with db_roles.connect("owner", "postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(args, env) -> str:
    """``manage.py *args`` in ``env``; its output, or the test fails with the end of it."""
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout
