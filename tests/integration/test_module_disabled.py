"""Disabling a business module leaves the rest working: migrations, admin and dashboard.

INSTALLED_APPS cannot change inside one process, so a second process runs with
BACKOFFICE_MODULES set to water and shop only, on a database of its own.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import db_roles

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "test_biashara_without_laundry"

PROBE = """
import json
from django.test import Client
from django.contrib.auth.models import User
from fixtures.demo import seed
users = seed("pw-for-probe")
client = Client()
client.force_login(User.objects.get(username="owner"))
dashboard = client.get("/admin/").content.decode()
print(json.dumps({
    "users": users,
    "dashboard": client.get("/admin/").status_code,
    "items": client.get("/admin/inventory/item/").status_code,
    "water_widget": client.get("/admin/widgets/water.prices/").status_code,
    "laundry_widget": client.get("/admin/widgets/laundry.prices/").status_code,
    "laundry_on_dashboard": "laundry" in dashboard.lower(),  # sidebar, subheader, widgets
    "water_on_dashboard": 'data-widget="water.prices"' in dashboard,
}))
"""


@pytest.fixture
def database():
    """A database of its own, created by the owner role (which then migrates it, as in production)."""
    with db_roles.connect("owner", "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    yield DATABASE
    with db_roles.connect("owner", "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def run(args, env):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_the_rest_works_without_the_laundry_module(database):
    env = {**os.environ, "DATABASE_URL": db_roles.url("app", database), "DJANGO_SETTINGS_MODULE":
           "backoffice.settings.test", "BACKOFFICE_MODULES": "modules.water,modules.shop"}
    run(["migrate", "--noinput"], {**env, "DATABASE_URL": db_roles.url("owner", database)})
    run(["check"], env)
    result = json.loads(run(["shell", "-c", PROBE], env).strip().splitlines()[-1])
    assert result == {
        "users": ["owner", "accountant", "water_staff", "shop_staff"],
        "dashboard": 200,
        "items": 200,
        "water_widget": 200,
        "laundry_widget": 404,
        "laundry_on_dashboard": False,
        "water_on_dashboard": True,
    }
