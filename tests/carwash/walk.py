"""What people meet once the car wash is enabled, measured inside the process that enables it
(``manage.py shell`` with BACKOFFICE_MODULES naming ``tests.carwash``, on a freshly migrated database):
tests/integration/test_fourth_business.py runs ``walk()`` there and asserts on what it returns.

Every figure is read the way its user reads it (pages, CSV downloads, the desk's export) and beside
it the ledger's own balances, so the test compares the two and a hand-computed sale."""

import csv
import io
import json
import uuid
from decimal import Decimal

import django_rq
from django.contrib.auth.models import Group, User
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from rq.cron import CronScheduler

from backoffice.sidebar import navigation, subheader
from fixtures.demo import seed
from modules.core.businesses.models import Business
from modules.core.inventory.models import Item
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account
from modules.core.notifications.models import Notification
from modules.core.registry import registry
from modules.core.sales.models import Sale

from .module import BUSINESS_CODE, STAFF_ROLE

PASSWORD = "pw-for-the-car-wash-walk"
STAFF = "carwash_staff"


def _csv(response) -> list[dict]:
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def _logged_in(username) -> Client:
    """As a person does: the login form, name and password typed."""
    client = Client()
    response = client.post("/admin/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"{username} could not log in"
    return client


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _menu_links(modules) -> list[str]:
    """The menu links these modules declare, as the sidebar writes them."""
    return [item.link if item.link.startswith("/") else reverse(item.link) for m in modules for item in m.menu]


def _shown(links, page) -> list[str]:
    return [link for link in links if f'href="{link}"' in page]


def walk() -> dict:
    seed(PASSWORD)
    carwash = Business.objects.get(code=BUSINESS_CODE)
    staff = User.objects.create_user(STAFF, password=PASSWORD, is_staff=True, first_name="Juma")
    staff.groups.set([Group.objects.get(name=STAFF_ROLE)])
    group_permissions = sorted(f"{app}.{codename}" for app, codename in Group.objects.get(name=STAFF_ROLE)
                               .permissions.values_list("content_type__app_label", "codename"))

    # the staff member: their dashboard, sidebar (every link answers), one sale at the quick sale
    client = _logged_in(STAFF)
    dashboard = client.get("/admin/").content.decode()
    own_menu = _menu_links(m for m in registry.modules() if m.key == BUSINESS_CODE)
    other_menus = _menu_links(m for m in registry.modules() if m.business and m.key != BUSINESS_CODE)
    staff_links = [item["link"] for group in navigation(_request(staff)) for item in group["items"]]
    quick_sale = client.get("/admin/sales/quick/?business=carwash")
    saloon, freshener = (Item.objects.get(business=carwash, sku=sku) for sku in ("CW-SALOON", "CW-FRESH"))
    sale = client.post(reverse("admin:sales:submit"), json.dumps({
        "uuid": str(uuid.uuid4()), "business": BUSINESS_CODE, "method": "cash",
        "lines": [{"item": saloon.pk, "quantity": "1"}, {"item": freshener.pk, "quantity": "1"}]}),
        content_type="application/json")
    refused_elsewhere = client.post(reverse("admin:sales:submit"), json.dumps({
        "uuid": str(uuid.uuid4()), "business": "water", "method": "cash",
        "lines": [{"item": Item.objects.filter(business__code="water").first().pk, "quantity": "1"}]}),
        content_type="application/json")
    the_bay = list(Notification.objects.filter(recipient=staff, kind="carwash.wash_paid")
                   .values_list("message", flat=True))

    # the owner's dashboard, after the sale
    owner = _logged_in("owner")
    owner_dashboard = owner.get("/admin/").content.decode()
    widget = owner.get(reverse("admin:widget", args=["carwash.cars_today"]))
    takings = owner.get(reverse("admin:widget", args=["carwash.takings"]))

    # the reports (CSV of the same rows as the page) and the ledger beside them
    day = timezone.localdate(Sale.objects.get(pk=sale.json()["sale"]).created_at)  # its day, even at midnight
    scope = {"business": BUSINESS_CODE, "start": day.isoformat(), "end": day.isoformat(), "format": "csv"}

    def report(key):
        return _csv(owner.get(reverse(f"admin:reports:{key}"), scope))

    daily = [row for row in report("daily_sales") if row["Business"] == carwash.name]
    pnl = report("profit_and_loss")  # data rows only: revenue less expenses is the profit
    profit = sum(Decimal(r["Total"]) for r in pnl if r["Part"] == "Revenue") - sum(
        Decimal(r["Total"]) for r in pnl if r["Part"] == "Expenses")
    accounts = {code: str(ledger.balance(Account.objects.get(business=carwash, code=code)))
                for code in (chart.CASH, chart.SALES, chart.VAT_PAYABLE, chart.COST_OF_SALES, chart.INVENTORY)}
    books = ledger.profit_and_loss(carwash, start=day, end=day)

    # the accountant's export of sales, scoped to the car wash
    accountant = _logged_in("accountant")
    export = accountant.post(reverse("admin:exports:desk"), {"kind": "sales.sales", "business": BUSINESS_CODE,
                                                             "file_format": "csv"})

    # the schedule as `manage.py rqcron backoffice.schedules` loads it, then run as its worker would
    scheduler = CronScheduler(connection=django_rq.get_connection("default"))
    scheduler.load_config_from_file("backoffice.schedules")
    cron_job = next((job for job in scheduler.get_jobs() if job.name == "carwash.evening_count"), None)
    evening = cron_job.func() if cron_job else None
    owner_told = list(Notification.objects.filter(recipient__username="owner", kind="carwash.evening_count")
                      .values_list("message", flat=True))

    return {
        "business": [carwash.code, carwash.name, carwash.is_active],
        "role": group_permissions,
        "staff_dashboard": {"widget": 'data-widget="carwash.cars_today"' in dashboard,
                            "subheader": subheader(_request(staff)),
                            "own_menu": _shown(own_menu, dashboard) == own_menu,
                            "other_menus": _shown(other_menus, dashboard)},
        "staff_links": {link: client.get(link).status_code for link in staff_links},
        "quick_sale": [quick_sale.status_code, "Saloon car, outside and inside" in quick_sale.content.decode()],
        "sale": [sale.status_code, sale.json()],
        "refused_elsewhere": refused_elsewhere.status_code,
        "the_bay": the_bay,
        "owner_dashboard": {"widget": 'data-widget="carwash.cars_today"' in owner_dashboard,
                            "own_menu": _shown(own_menu, owner_dashboard) == own_menu,
                            "other_menus": [len(_shown(other_menus, owner_dashboard)), len(other_menus)],
                            "widget_status": widget.status_code,
                            "widget_count": 'data-carwash-count>1<' in widget.content.decode(),
                            "widget_total": 'data-carwash-total="550.00"' in widget.content.decode(),
                            "takings": 'data-takings="550.00"' in takings.content.decode()},
        "daily_sales": daily,
        "profit": str(profit),
        "ledger": accounts,
        "ledger_revenue": str(books["total_revenue"]),
        "ledger_profit": str(books["profit"]),
        "export": [export.status_code, _csv(export) if export.status_code == 200 else export.content.decode()[:500]],
        "cron": [cron_job.cron, f"{cron_job.func.__module__}.{cron_job.func.__name__}"] if cron_job else None,
        "evening": evening,
        "owner_told": owner_told,
        "day": day.isoformat(),
    }
