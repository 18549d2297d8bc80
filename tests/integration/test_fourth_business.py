"""The plug-in promise: a fourth business (tests/carwash, a car wash) is enabled by settings alone,
with no edit in modules/core/, and shows everywhere a business shows: its business and staff
role after `migrate`, the dashboard and sidebar, the sale engine, the reports, the accountant's
export, the notifications and the cron schedules.

INSTALLED_APPS cannot change inside one process, so a second process runs with the car wash added
to BACKOFFICE_MODULES, on a database of its own that the owner role migrates (as in production),
and walks it as the app role (tests/carwash/walk.py).
"""

import json
import re
from decimal import Decimal

import pytest

from modules.core.registry import registry
from tests.other_modules import ROOT, manage, migrated_database

DATABASE = "test_biashara_with_carwash"
MODULES = "modules.water,modules.laundry,modules.shop,tests.carwash"
CAR_WASH = re.compile(r"car[\s_-]*wash", re.IGNORECASE)

# The sale, worked by hand: a saloon wash (KES 300, a service) and an air freshener (KES 250, bought
# at KES 120), cash, both VAT 16 % included: VAT 550 × 16/116 = 75.86, net 474.14, profit 354.14.
TOTAL, VAT, NET, COST = Decimal("550.00"), Decimal("75.86"), Decimal("474.14"), Decimal("120.00")


@pytest.fixture(scope="module")
def walked():
    """The car-wash process's walk (tests/carwash/walk.py) on its own, freshly migrated database."""
    with migrated_database(DATABASE, MODULES) as env:
        checked = manage(["check"], env)
        printed = manage(["shell", "-c", "import json; from tests.carwash.walk import walk; print(json.dumps(walk()))"],
                         env)
    return {"check": checked, **json.loads(printed.strip().splitlines()[-1])}


def test_no_file_of_the_core_knows_the_car_wash():
    mentions = [str(path.relative_to(ROOT)) for path in (ROOT / "modules" / "core").rglob("*")
                if path.is_file() and path.suffix in (".py", ".html", ".js", ".css", ".md", ".txt", ".json")
                and CAR_WASH.search(path.read_text(errors="replace"))]
    assert mentions == []


def test_the_declarations_pass_the_registry_checks_and_the_business_exists(walked):
    assert "System check identified no issues" in walked["check"]
    assert walked["business"] == ["carwash", "Car wash", True]


def test_its_staff_role_gets_what_the_core_grants_every_business_s_staff(walked):
    granted_by_core = {p for m in registry.modules() if not m.business for p in m.staff_permissions}
    assert granted_by_core, "the core grants business staff nothing: nothing to check"
    assert granted_by_core <= set(walked["role"])
    assert {"sales.add_sale", "inventory.view_item", "payments.add_payment"} <= set(walked["role"])
    assert not any(p.startswith(("water.", "laundry.", "shop.")) for p in walked["role"])


def test_its_staff_see_its_menu_and_widget_and_no_other_business(walked):
    staff = walked["staff_dashboard"]
    assert staff == {"widget": True, "subheader": "Car wash", "own_menu": True, "other_menus": []}
    assert "/admin/sales/quick/?business=carwash" in walked["staff_links"]
    assert all(status < 400 for status in walked["staff_links"].values()), walked["staff_links"]
    assert walked["quick_sale"] == [200, True]


def test_its_sale_goes_through_the_core_engine_and_tells_the_bay(walked):
    status, sale = walked["sale"]
    assert status == 201 and sale["receipt"] == "C-000001" and sale["created"] is True
    assert walked["refused_elsewhere"] == 403  # the car wash's staff sell for the car wash only
    assert walked["the_bay"] == ["C-000001 paid: KES 550.00. Start washing."]  # sale.committed, via the outbox


def test_the_owner_s_dashboard_shows_its_widget_and_menu(walked):
    shown, declared = walked["owner_dashboard"].pop("other_menus")
    assert shown == declared > 0  # the owner sees every business's menu, the car wash's among them
    assert walked["owner_dashboard"] == {"widget": True, "own_menu": True, "widget_status": 200,
                                         "widget_count": True, "widget_total": True, "takings": True}


def test_its_sale_shows_in_the_reports_as_in_the_ledger(walked):
    (day,) = walked["daily_sales"]
    money = {key: Decimal(day[label]) for key, label in (
        ("taken", "Taken (KES)"), ("total", "Sales total (KES)"), ("vat", "VAT (KES)"), ("net", "Net of VAT (KES)"),
        ("cash", "Cash (KES)"))}
    assert (day["Day"], day["Sales"]) == (walked["day"], "1")
    assert money == {"taken": TOTAL, "total": TOTAL, "vat": VAT, "net": NET, "cash": TOTAL}
    ledger = {code: Decimal(value) for code, value in walked["ledger"].items()}
    assert ledger["1000"] == money["taken"]  # cash in the till
    assert ledger["4000"] == money["net"] == Decimal(walked["ledger_revenue"])  # revenue
    assert ledger["2300"] == money["vat"]  # VAT payable
    assert ledger["5000"] == COST  # the freshener at its cost
    assert Decimal(walked["profit"]) == Decimal(walked["ledger_profit"]) == NET - COST


def test_the_accountant_s_export_of_the_car_wash_s_sales_has_it(walked):
    status, rows = walked["export"]
    assert status == 200, rows
    assert [(row["business"], row["receipt"], Decimal(row["total"]), row["payment_method"]) for row in rows] == [
        ("carwash", "C-000001", TOTAL, "cash")]


def test_its_schedule_is_loaded_by_the_cron_scheduler_and_tells_the_owner(walked):
    assert walked["cron"] == ["30 19 * * *", "tests.carwash.jobs.evening_count"]
    assert walked["evening"] == {"day": walked["day"], "receipts": 1, "total": "550.00"}
    assert len(walked["owner_told"]) == 1 and "1 receipt(s), KES 550.00" in walked["owner_told"][0]
