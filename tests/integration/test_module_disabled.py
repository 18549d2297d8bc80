"""Disabling a business module leaves the rest working: migrations, admin and dashboard.

INSTALLED_APPS cannot change inside one process, so a second process runs with
BACKOFFICE_MODULES set to water and shop only, on a database of its own.
"""

import json

from tests.other_modules import manage, migrated_database

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


def test_the_rest_works_without_the_laundry_module():
    with migrated_database(DATABASE, "modules.water,modules.shop") as env:
        manage(["check"], env)
        result = json.loads(manage(["shell", "-c", PROBE], env).strip().splitlines()[-1])
    assert result == {
        "users": ["owner", "accountant", "water_staff", "shop_staff"],
        "dashboard": 200,
        "items": 200,
        "water_widget": 200,
        "laundry_widget": 404,
        "laundry_on_dashboard": False,
        "water_on_dashboard": True,
    }
